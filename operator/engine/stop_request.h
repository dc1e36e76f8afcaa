#pragma once

#include <atomic>
#include <string>

namespace tenantshift::engine {

// A request to stop a run at its next safe point (between steps, between backfill batches),
// made by a signal handler: request() only stores to a lock-free atomic, so it is
// async-signal-safe. The engine reads it at those points and stops with Outcome::Paused, the
// step it was running left resumable.
class StopRequest {
 public:
  constexpr StopRequest() = default;
  StopRequest(const StopRequest&) = delete;
  StopRequest& operator=(const StopRequest&) = delete;

  void request(int signal) noexcept { signal_.store(signal, std::memory_order_relaxed); }
  bool requested() const noexcept { return signal_.load(std::memory_order_relaxed) != 0; }
  // "SIGTERM", "SIGINT", "signal N"; "" when no stop was requested.
  std::string signalName() const;

 private:
  static_assert(std::atomic<int>::is_always_lock_free);
  std::atomic<int> signal_{0};
};

}  // namespace tenantshift::engine
