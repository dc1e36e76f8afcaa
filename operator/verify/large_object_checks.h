#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verify/verify_report.h"

namespace tenantshift::verify {

struct LargeObjectFacts {
  std::vector<std::string> creating;  // lo_create(oid), ... the app role can execute
  std::int64_t objects = 0;           // large objects in the database
  std::int64_t readable = 0;          // of them, readable by the app role
};

// exposure.large-objects: large objects are outside row-level security; when the app role can
// create or read them, a Warning exposure saying so and how to take the functions away.
CheckResult checkLargeObjects(const std::string& appRole, const LargeObjectFacts& facts);

}  // namespace tenantshift::verify
