#pragma once

#include <chrono>

namespace tenantshift::analysis {

using TimePoint = std::chrono::steady_clock::time_point;

// Monotonic time, injected so that the controllers' tests run on a clock they move themselves.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The real monotonic clock (std::chrono::steady_clock).
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

// Milliseconds between two time points, as a double (fractions kept).
inline double millisBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace tenantshift::analysis
