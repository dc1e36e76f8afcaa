#pragma once

#include <string>

namespace tenantshift::db {

// SQL (a boolean): whether the role named by `roleName` (a text expression, e.g. "$3") is a
// member of the role `ownerOid` (an oid expression, e.g. "p.proowner"), and so may do what that
// owner may, such as replace its functions; false when no role has that name.
std::string roleIsMemberOfSql(const std::string& roleName, const std::string& ownerOid);

}  // namespace tenantshift::db
