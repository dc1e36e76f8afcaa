#include "api/content_hash.h"

#include <cstdio>

namespace tenantshift::api {

std::string Fnv1a64::hex() const {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash_));
  return out;
}

std::string contentHash(std::string_view text) {
  Fnv1a64 hash;
  hash.add(text);
  return hash.hex();
}

}  // namespace tenantshift::api
