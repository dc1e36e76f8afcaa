#pragma once

namespace tenantshift::analysis {

// Sessions kept waiting by one backend's locks, the worst seen over a period.
struct LockWaits {
  int sessions = 0;
  double longestMillis = 0;
};

}  // namespace tenantshift::analysis
