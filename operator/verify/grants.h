#pragma once

#include <string>
#include <vector>

namespace tenantshift::verify {

// Who gives the app role a privilege on an object: a grant to the app role, to PUBLIC, or to a
// role it is a member of, or ownership (the app role is, or is a member of, the owner).
struct Grant {
  std::string grantee;  // role name; "" for PUBLIC
  bool owner = false;   // `grantee` owns the object
  std::vector<std::string> privileges;
};

// "INSERT, UPDATE (PUBLIC); DELETE (\"writers\")"
std::string describeGrants(const std::vector<Grant>& grants);

// The statements that take the privileges away: REVOKE ... ON <kind> <object> FROM ... for each
// grant, ALTER <kind> <object> OWNER TO ... for ownership. `kind`: TABLE, SCHEMA, SEQUENCE,
// FUNCTION. `object` is the SQL name.
std::vector<std::string> revokeStatements(const std::string& kind, const std::string& object,
                                          const std::vector<Grant>& grants);

}  // namespace tenantshift::verify
