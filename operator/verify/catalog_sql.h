#pragma once

#include <string>

namespace tenantshift::verify {

// SQL fragments the fact readers share.

// Names of `attnums` (an int2[] expression) of relation `relid`, in order, as a JSON array;
// 0 (an index expression) becomes "".
std::string attributeNamesJson(const std::string& attnums, const std::string& relid);

// The app role's privileges among `privileges` (an SQL text[] expression) on an object, as a
// JSON array of {grantee, owner, privilege}: each ACL entry (the default ACL of `kind` when
// `acl` is NULL) granted to PUBLIC or to a role whose privileges the app role has ($appOid is
// the app role's oid, "0" when it does not exist).
std::string grantsJson(const std::string& acl, const std::string& kind, const std::string& owner,
                       const std::string& privileges, const std::string& appOid);

// CASE WHEN <appOid> = 0 THEN false ELSE <expression> END: app-role functions error on a role
// that does not exist.
std::string ifAppRole(const std::string& appOid, const std::string& expression);

}  // namespace tenantshift::verify
