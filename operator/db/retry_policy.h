#pragma once

#include <chrono>

namespace tenantshift::db {

// How long to wait before retrying work that could not get its lock (or lost a deadlock, a
// serialization conflict, or its connection): exponential backoff with jitter, bounded by a
// number of retries. Pure.
struct RetryPolicy {
  std::chrono::milliseconds initialDelay{100};
  std::chrono::milliseconds maxDelay{5000};
  int retries = 30;  // retries after the first attempt; 0: try once

  // The wait before retry number `retry` (1-based): initialDelay * 2^(retry-1), capped at
  // maxDelay, then scaled by a jitter factor in [0.5, 1.0] taken from `unitRandom` in [0, 1).
  std::chrono::milliseconds delayBefore(int retry, double unitRandom) const;
};

}  // namespace tenantshift::db
