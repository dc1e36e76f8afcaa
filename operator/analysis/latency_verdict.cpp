#include "analysis/latency_verdict.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "analysis/millis_text.h"
#include "analysis/percentile.h"

namespace tenantshift::analysis {

double allowedP99(const Baseline& baseline, const LatencyLimit& limit) {
  return std::max(baseline.p99 * (1.0 + limit.maxIncreasePercent / 100.0),
                  baseline.p99 + limit.minIncreaseMillis);
}

std::string LatencyJudgement::describe(const Baseline& baseline, const LatencyLimit& limit) const {
  char percent[32];
  std::snprintf(percent, sizeof percent, "%g", limit.maxIncreasePercent);
  std::string out = "p99 " + millisText(p99) + (verdict == Verdict::Exceeded ? " > " : " <= ") +
                    millisText(allowed) + " allowed (baseline p99 " + millisText(baseline.p99) +
                    " +" + percent + "%) over " + std::to_string(samples) + " samples";
  if (failed > 0) {
    out += ", " + std::to_string(failed) + " failed";
  }
  return out;
}

LatencyJudgement judgeLatency(const Baseline& baseline, const std::vector<LatencySample>& window,
                              const LatencyLimit& limit, std::size_t minSamples) {
  LatencyJudgement out;
  out.samples = window.size();
  out.allowed = allowedP99(baseline, limit);
  if (window.empty() || window.size() < minSamples) {
    return out;
  }
  std::vector<double> values;
  values.reserve(window.size());
  for (const auto& sample : window) {
    out.failed += sample.failed ? 1 : 0;
    values.push_back(sample.failed ? std::numeric_limits<double>::infinity() : sample.millis);
  }
  out.p99 = nearestRank(std::move(values), 99);
  out.verdict = out.p99 > out.allowed ? Verdict::Exceeded : Verdict::Within;
  return out;
}

}  // namespace tenantshift::analysis
