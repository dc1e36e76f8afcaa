#include "kube/clock.h"

#include <condition_variable>
#include <mutex>

namespace tenantshift::kube {

Clock::TimePoint SteadyClock::now() const {
  return std::chrono::steady_clock::now();
}

bool SteadyClock::sleepFor(std::chrono::milliseconds duration, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wakeup;
  std::unique_lock lock(mutex);
  // Only a stop request wakes it early: the predicate is "stop requested".
  wakeup.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace tenantshift::kube
