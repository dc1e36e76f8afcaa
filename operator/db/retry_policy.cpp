#include "db/retry_policy.h"

#include <algorithm>
#include <cstdint>

namespace tenantshift::db {

std::chrono::milliseconds RetryPolicy::delayBefore(int retry, double unitRandom) const {
  const int exponent = std::clamp(retry - 1, 0, 30);
  const double base =
      static_cast<double>(initialDelay.count()) * static_cast<double>(1LL << exponent);
  const double capped = std::min(base, static_cast<double>(maxDelay.count()));
  const double jitter = 0.5 + 0.5 * std::clamp(unitRandom, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped * jitter));
}

}  // namespace tenantshift::db
