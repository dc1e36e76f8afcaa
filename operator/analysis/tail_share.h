#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/baseline.h"
#include "analysis/latency_verdict.h"

namespace tenantshift::analysis {

// The tail-share test, the throttle's second look at the probe besides its p99. A p99 over 100
// samples rests on its two slowest, so it cannot tell a tail of 1% from one of 3%, and a baseline
// p99 over 200 samples moves with two or three stalls (1.4 to 4.2 ms in three runs of the same
// benchmark). The share of samples slower than the baseline's p90 plus the allowed increase
// rests on tens of samples: it rises, measurably, when the application's slow transactions
// become several times more frequent, and the samples seen at one throttle level add up into
// evidence that grows until it is conclusive.

// What the baseline says about that share.
struct TailShareReference {
  double threshold = 0;  // milliseconds: the baseline p90 plus the allowed increase
  double baselineP90 = 0;
  std::size_t baselineAbove = 0;  // baseline samples above the threshold (failed ones included)
  std::size_t baselineSamples = 0;
  // The share the judged samples are compared with: the upper end of the baseline share's
  // Wilson interval at one standard deviation, so that a baseline that happened to be quiet does
  // not make normal samples look slow, and at least 1% (what a p99 leaves to chance).
  double share = 0;
};

// The reference of `baseline` (taken from its samples) under `limit` (the p90 may rise by as much
// as the p99: the same percentage, the same minimum).
TailShareReference tailShareReference(const Baseline& baseline, const LatencyLimit& limit);

enum class TailVerdict {
  Insufficient,  // fewer samples than asked for
  Within,        // no larger a share than the reference's
  Elevated,      // larger, but it could still be chance: not a slow-down, not a speed-up either
  Over,          // larger than chance makes likely (under 1% when the share is the reference's)
};

struct TailShareJudgement {
  TailVerdict verdict = TailVerdict::Insufficient;
  std::size_t samples = 0;
  std::size_t above = 0;  // samples above the reference's threshold (failed ones included)

  // "31 of 200 samples above 1.10 ms (baseline p90 1.00 ms +10%): 15.5%, the baseline's 9.0%"
  std::string describe(const TailShareReference& reference, const LatencyLimit& limit) const;
};

// Judges `above` of `samples` against `reference`; Insufficient under `minSamples` samples.
TailShareJudgement judgeTailShare(const TailShareReference& reference, std::size_t samples,
                                  std::size_t above, std::size_t minSamples);

// Whether `sample` counts as slow for `reference`: above its threshold, or failed.
bool aboveThreshold(const TailShareReference& reference, const LatencySample& sample);

// How many of `samples` count as slow for `reference`.
std::size_t countAbove(const TailShareReference& reference,
                       const std::vector<LatencySample>& samples);

}  // namespace tenantshift::analysis
