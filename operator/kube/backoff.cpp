#include "kube/backoff.h"

#include <algorithm>

namespace tenantshift::kube {

Backoff::Backoff(BackoffPolicy policy, RandomSource& random) : policy_(policy), random_(random) {}

std::chrono::milliseconds Backoff::next(Clock::TimePoint now) {
  if (!lastFailure_ || now - *lastFailure_ >= policy_.resetAfter) {
    current_ = policy_.initial;
  } else {
    const auto grown = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
        static_cast<double>(current_.count()) * policy_.factor));
    current_ = std::min(grown, policy_.max);
  }
  lastFailure_ = now;
  const double shortening = policy_.jitter * random_.uniform();
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
      static_cast<double>(current_.count()) * (1.0 - shortening)));
}

}  // namespace tenantshift::kube
