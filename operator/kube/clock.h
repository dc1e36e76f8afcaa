#pragma once

#include <chrono>
#include <stop_token>

namespace tenantshift::kube {

// Time as the reflector and token files see it, injected so that tests control it.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Waits `duration`, or less if stop is requested; returns false when it was.
  virtual bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) = 0;
};

// std::chrono::steady_clock, and a wait that a stop request ends at once.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override;
  bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) override;
};

}  // namespace tenantshift::kube
