#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/sample_window.h"

namespace tenantshift::analysis {

// What "normal" looks like for a probe: p50, p90 and p99 (nearest rank) of the samples taken
// before the change being judged (a backfill, a rollout), how many of them failed, and the
// successful ones themselves (the tail-share test counts how many were slower than a threshold).
struct Baseline {
  std::size_t samples = 0;  // successful samples the percentiles are taken over
  std::size_t failed = 0;
  double p50 = 0;  // milliseconds
  double p99 = 0;
  double p90 = 0;
  std::vector<double> millis;  // the successful samples, ascending; empty when not kept

  // "p50 0.21 ms, p99 0.48 ms over 200 samples"
  std::string describe() const;
};

// A baseline of its figures alone, as the ledger keeps it: without its samples (so without the
// tail-share test) and without a p90.
Baseline baselineFigures(std::size_t samples, double p50, double p99);

// The baseline of `samples`, over the successful ones. Throws std::invalid_argument when none
// succeeded (there is nothing to compare with).
Baseline makeBaseline(const std::vector<LatencySample>& samples);

}  // namespace tenantshift::analysis
