#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tenantshift::controller {

// The time of day, as written into status, Events and Leases; injected so that the controller's
// tests control it. (Waiting and expiry use kube::Clock, which is monotonic.)
class WallClock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  virtual ~WallClock() = default;
  virtual TimePoint now() const = 0;
};

// std::chrono::system_clock.
class SystemWallClock final : public WallClock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// RFC 3339 UTC with whole seconds ("2026-12-02T13:05:01Z"): metav1.Time, as in conditions.
std::string rfc3339(WallClock::TimePoint time);
// RFC 3339 UTC with microseconds ("2026-12-02T13:05:01.000123Z"): metav1.MicroTime, as in a
// Lease's acquireTime and renewTime.
std::string rfc3339Micro(WallClock::TimePoint time);
// Reads either form (a fraction of a second is dropped); nullopt when it is not one.
std::optional<WallClock::TimePoint> parseRfc3339(const std::string& text);

}  // namespace tenantshift::controller
