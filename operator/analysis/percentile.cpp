#include "analysis/percentile.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tenantshift::analysis {

namespace {

// The value of nearest rank `percent` in already sorted, non-empty `sorted`.
double rankOf(const std::vector<double>& sorted, double percent) {
  const auto count = static_cast<double>(sorted.size());
  // ceil(p/100 * n) in exact arithmetic; the tiny epsilon keeps 99% of 100 at rank 99 (not 100)
  // despite 0.99 * 100 = 99.00000000000001 in binary floating point.
  auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * count - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

double nearestRank(std::vector<double> values, double percent) {
  if (values.empty()) {
    throw std::invalid_argument("nearestRank: no values");
  }
  if (!(percent > 0.0 && percent <= 100.0)) {
    throw std::invalid_argument("nearestRank: percent must be in (0, 100]");
  }
  std::sort(values.begin(), values.end());
  return rankOf(values, percent);
}

Percentiles summarize(std::vector<double> values) {
  if (values.empty()) {
    throw std::invalid_argument("summarize: no values");
  }
  std::sort(values.begin(), values.end());
  return Percentiles{values.size(), rankOf(values, 50), rankOf(values, 90), rankOf(values, 99),
                     values.back()};
}

}  // namespace tenantshift::analysis
