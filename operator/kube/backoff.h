#pragma once

#include <chrono>
#include <optional>

#include "kube/clock.h"
#include "kube/random_source.h"

namespace tenantshift::kube {

// client-go's reflector backoff: 800 ms doubling to 30 s, back to the start once the last
// failure is 2 minutes old (the stream was healthy since), each wait shortened by up to
// `jitter` of itself at random so that many clients do not retry in step.
struct BackoffPolicy {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30000};
  double factor = 2.0;
  std::chrono::milliseconds resetAfter{120000};
  double jitter = 0.2;
};

// Pure: the clock's reading is passed in, the randomness injected.
class Backoff {
 public:
  Backoff(BackoffPolicy policy, RandomSource& random);
  // The wait before the next attempt, after a failure at `now`.
  std::chrono::milliseconds next(Clock::TimePoint now);

 private:
  BackoffPolicy policy_;
  RandomSource& random_;
  std::chrono::milliseconds current_{0};
  std::optional<Clock::TimePoint> lastFailure_;
};

}  // namespace tenantshift::kube
