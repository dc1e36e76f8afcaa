#include "plan/fnv1a.h"

#include <cstdio>

namespace tenantshift::plan {

std::string Fnv1a64::hex() const {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash_));
  return out;
}

}  // namespace tenantshift::plan
