#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/sample_window.h"

namespace tenantshift::analysis {

// What "normal" looks like for a probe: p50 and p99 (nearest rank) of the samples taken before
// the change being judged (a backfill, a rollout), and how many of them failed.
struct Baseline {
  std::size_t samples = 0;  // successful samples the percentiles are taken over
  std::size_t failed = 0;
  double p50 = 0;  // milliseconds
  double p99 = 0;

  // "p50 0.21 ms, p99 0.48 ms over 200 samples"
  std::string describe() const;
};

// The baseline of `samples`, over the successful ones. Throws std::invalid_argument when none
// succeeded (there is nothing to compare with).
Baseline makeBaseline(const std::vector<LatencySample>& samples);

}  // namespace tenantshift::analysis
