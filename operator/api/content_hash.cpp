#include "api/content_hash.h"

#include <cstdint>
#include <iomanip>
#include <sstream>

namespace tenantshift::api {

std::string contentHash(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0') << hash;
  return out.str();
}

}  // namespace tenantshift::api
