#pragma once

#include <string>

namespace tenantshift::api {

// A stable 64-bit hash (FNV-1a) of `text` as 16 hex digits: names a spec or a plan in the ledger
// and in the operator's status. Not a security measure.
std::string contentHash(const std::string& text);

}  // namespace tenantshift::api
