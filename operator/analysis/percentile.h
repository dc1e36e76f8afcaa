#pragma once

#include <cstddef>
#include <vector>

namespace tenantshift::analysis {

// The nearest-rank percentile: the smallest value such that at least `percent` % of the values
// are less than or equal to it, i.e. the value of rank ceil(percent / 100 * n) (1-based) in
// sorted order. No interpolation: the result is always one of the values, so p99 of fewer than
// 100 values is their maximum. Throws std::invalid_argument when `values` is empty or `percent`
// is not in (0, 100].
double nearestRank(std::vector<double> values, double percent);

// p50, p90, p99 and max of a set of values (nearest rank), with their count.
struct Percentiles {
  std::size_t count = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};
// Throws std::invalid_argument when `values` is empty.
Percentiles summarize(std::vector<double> values);

}  // namespace tenantshift::analysis
