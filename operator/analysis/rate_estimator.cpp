#include "analysis/rate_estimator.h"

#include <cmath>

namespace tenantshift::analysis {

void RateEstimator::observe(TimePoint at, std::int64_t total) {
  points_.emplace_back(at, total);
  // Keep one point older than the window, so that the window is always covered.
  while (points_.size() > 2 && points_[1].first <= at - window_) {
    points_.pop_front();
  }
}

double RateEstimator::perSecond() const {
  if (points_.size() < 2) {
    return 0;
  }
  const double seconds = millisBetween(points_.front().first, points_.back().first) / 1000.0;
  if (seconds <= 0) {
    return 0;
  }
  return static_cast<double>(points_.back().second - points_.front().second) / seconds;
}

std::optional<std::chrono::seconds> RateEstimator::timeFor(std::int64_t remaining) const {
  const double rate = perSecond();
  if (rate <= 0 || remaining <= 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(
      static_cast<std::int64_t>(std::ceil(static_cast<double>(remaining) / rate)));
}

}  // namespace tenantshift::analysis
