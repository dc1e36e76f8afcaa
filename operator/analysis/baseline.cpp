#include "analysis/baseline.h"

#include <algorithm>
#include <stdexcept>

#include "analysis/millis_text.h"
#include "analysis/percentile.h"

namespace tenantshift::analysis {

std::string Baseline::describe() const {
  return "p50 " + millisText(p50) + ", p99 " + millisText(p99) + " over " +
         std::to_string(samples) + " samples" +
         (failed > 0 ? " (" + std::to_string(failed) + " failed)" : "");
}

Baseline baselineFigures(std::size_t samples, double p50, double p99) {
  Baseline out;
  out.samples = samples;
  out.p50 = p50;
  out.p99 = p99;
  return out;
}

Baseline makeBaseline(const std::vector<LatencySample>& samples) {
  std::vector<double> ok;
  std::size_t failed = 0;
  for (const auto& sample : samples) {
    if (sample.failed) {
      ++failed;
    } else {
      ok.push_back(sample.millis);
    }
  }
  if (ok.empty()) {
    throw std::invalid_argument("no successful sample to take a baseline from");
  }
  std::sort(ok.begin(), ok.end());
  const Percentiles percentiles = summarize(ok);
  return Baseline{percentiles.count, failed,          percentiles.p50,
                  percentiles.p99,   percentiles.p90, std::move(ok)};
}

}  // namespace tenantshift::analysis
