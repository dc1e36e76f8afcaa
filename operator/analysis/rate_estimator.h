#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "analysis/clock.h"

namespace tenantshift::analysis {

// A rate (units per second) over a sliding time window, from a running total observed now and
// then, and the time left at that rate.
class RateEstimator {
 public:
  explicit RateEstimator(std::chrono::milliseconds window) : window_(window) {}

  // The running total at `at` (non-decreasing in time).
  void observe(TimePoint at, std::int64_t total);
  // Units per second over the window (0 until two observations span some time).
  double perSecond() const;
  // Seconds until `remaining` more units at perSecond(); absent while the rate is 0, and when
  // `remaining` is not positive: work still going on while an estimate says nothing is left
  // means the estimate is wrong (a table never analysed, or one that outgrew its estimate), and
  // the time left is unknown, not zero.
  std::optional<std::chrono::seconds> timeFor(std::int64_t remaining) const;

 private:
  std::chrono::milliseconds window_;
  std::deque<std::pair<TimePoint, std::int64_t>> points_;
};

}  // namespace tenantshift::analysis
