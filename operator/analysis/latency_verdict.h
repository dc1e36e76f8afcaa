#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/baseline.h"
#include "analysis/sample_window.h"

namespace tenantshift::analysis {

// How much slower than its baseline a probe may get: its p99 may rise by `maxIncreasePercent`
// of the baseline p99, but always by at least `minIncreaseMillis` (so that a probe of a few
// hundred microseconds is not judged on scheduler noise).
struct LatencyLimit {
  double maxIncreasePercent = 25;
  double minIncreaseMillis = 0;
};

// The highest p99 the limit allows over `baseline`, in milliseconds.
double allowedP99(const Baseline& baseline, const LatencyLimit& limit);

enum class Verdict {
  Insufficient,  // fewer samples than asked for: no judgement
  Within,        // p99 <= the allowed p99
  Exceeded,      // p99 > the allowed p99
};

// The judgement of a window of samples against a baseline.
struct LatencyJudgement {
  Verdict verdict = Verdict::Insufficient;
  std::size_t samples = 0;
  std::size_t failed = 0;
  double p99 = 0;      // milliseconds; infinity when so many failed that the p99 rank is a failure
  double allowed = 0;  // milliseconds

  // "p99 14.2 ms > 11.1 ms allowed (baseline p99 8.9 ms +25%) over 100 samples"
  std::string describe(const Baseline& baseline, const LatencyLimit& limit) const;
};

// Judges `window` (nearest-rank p99; a failed sample counts as infinitely slow, so that a probe
// that times out or errors is never taken for a healthy one) against `baseline`. Insufficient
// when `window` holds fewer than `minSamples` samples.
LatencyJudgement judgeLatency(const Baseline& baseline, const std::vector<LatencySample>& window,
                              const LatencyLimit& limit, std::size_t minSamples);

}  // namespace tenantshift::analysis
