#include "analysis/tail_share.h"

#include <algorithm>
#include <cstdio>

#include "analysis/binomial.h"
#include "analysis/millis_text.h"

namespace tenantshift::analysis {

namespace {

// Standard deviations above the baseline share that the reference share lies.
constexpr double kReferenceZ = 1.0;
// The reference share is never below 1%: a p99 lets one sample in a hundred be anything, and a
// baseline of a few hundred samples cannot tell a share of 0.2% from one of 0.8%.
constexpr double kMinReferenceShare = 0.01;
// A share is over when at least that many samples above the threshold would happen less than
// this often at the reference share.
constexpr double kOverProbability = 0.01;

std::string percentText(double share) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f%%", share * 100.0);
  return out;
}

}  // namespace

TailShareReference tailShareReference(const Baseline& baseline, const LatencyLimit& limit) {
  TailShareReference out;
  out.baselineP90 = baseline.p90;
  out.threshold = std::max(baseline.p90 * (1.0 + limit.maxIncreasePercent / 100.0),
                           baseline.p90 + limit.minIncreaseMillis);
  const auto slow = std::count_if(baseline.millis.begin(), baseline.millis.end(),
                                  [&](double millis) { return millis > out.threshold; });
  out.baselineAbove = static_cast<std::size_t>(slow) + baseline.failed;
  out.baselineSamples = baseline.millis.size() + baseline.failed;
  out.share = std::max(kMinReferenceShare,
                       wilsonUpperBound(out.baselineSamples, out.baselineAbove, kReferenceZ));
  return out;
}

bool aboveThreshold(const TailShareReference& reference, const LatencySample& sample) {
  return sample.failed || sample.millis > reference.threshold;
}

std::size_t countAbove(const TailShareReference& reference,
                       const std::vector<LatencySample>& samples) {
  return static_cast<std::size_t>(std::count_if(
      samples.begin(), samples.end(),
      [&](const LatencySample& sample) { return aboveThreshold(reference, sample); }));
}

TailShareJudgement judgeTailShare(const TailShareReference& reference, std::size_t samples,
                                  std::size_t above, std::size_t minSamples) {
  TailShareJudgement out;
  out.samples = samples;
  out.above = above;
  if (samples == 0 || samples < minSamples) {
    return out;
  }
  if (binomialAtLeast(samples, above, reference.share) < kOverProbability) {
    out.verdict = TailVerdict::Over;
  } else if (static_cast<double>(above) > static_cast<double>(samples) * reference.share) {
    out.verdict = TailVerdict::Elevated;
  } else {
    out.verdict = TailVerdict::Within;
  }
  return out;
}

std::string TailShareJudgement::describe(const TailShareReference& reference,
                                         const LatencyLimit& limit) const {
  char increase[32];
  std::snprintf(increase, sizeof increase, "%g", limit.maxIncreasePercent);
  const double share =
      samples == 0 ? 0.0 : static_cast<double>(above) / static_cast<double>(samples);
  const double baselineShare = reference.baselineSamples == 0
                                   ? 0.0
                                   : static_cast<double>(reference.baselineAbove) /
                                         static_cast<double>(reference.baselineSamples);
  return std::to_string(above) + " of " + std::to_string(samples) + " samples above " +
         millisText(reference.threshold) + " (baseline p90 " + millisText(reference.baselineP90) +
         " +" + increase + "%): " + percentText(share) + ", the baseline's " +
         percentText(baselineShare);
}

}  // namespace tenantshift::analysis
