#include "analysis/batch_size_controller.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tenantshift::analysis {

namespace {

constexpr double kGrowth = 2.0;     // at most this factor larger per batch
constexpr double kSmoothing = 0.5;  // weight of the newest throughput measurement

}  // namespace

BatchSizeController::BatchSizeController(const BatchSizing& sizing) : sizing_(sizing) {
  if (sizing_.fixed) {
    if (*sizing_.fixed < 1) {
      throw std::invalid_argument("fixed batch size must be at least 1");
    }
    next_ = *sizing_.fixed;
    return;
  }
  if (sizing_.min < 1 || sizing_.max < sizing_.min) {
    throw std::invalid_argument("batch size bounds must satisfy 1 <= min <= max");
  }
  if (sizing_.target.count() <= 0) {
    throw std::invalid_argument("target batch duration must be positive");
  }
  next_ = std::clamp(sizing_.initial, sizing_.min, sizing_.max);
}

void BatchSizeController::observe(int requested, std::int64_t rows,
                                  std::chrono::microseconds took) {
  if (sizing_.fixed || rows <= 0 || requested <= 0 || rows * 2 < requested) {
    return;
  }
  const double millis = std::max(0.001, static_cast<double>(took.count()) / 1000.0);
  const double measured = static_cast<double>(rows) / millis;
  if (!rowsPerMillis_ || measured < *rowsPerMillis_ / 2) {
    rowsPerMillis_ = measured;  // first measurement, or a sudden slowdown: believe it at once
  } else {
    rowsPerMillis_ = kSmoothing * measured + (1 - kSmoothing) * *rowsPerMillis_;
  }
  const double ideal = *rowsPerMillis_ * static_cast<double>(sizing_.target.count());
  // Growth is bounded relative to the controller's own last size, not to `requested`: a batch
  // the throttle made smaller says how fast rows go, not that the next one should be small.
  const double grown = std::min(ideal, kGrowth * static_cast<double>(std::max(requested, next_)));
  next_ = static_cast<int>(std::clamp(std::floor(grown), static_cast<double>(sizing_.min),
                                      static_cast<double>(sizing_.max)));
}

}  // namespace tenantshift::analysis
