#include "db/role_membership_sql.h"

namespace tenantshift::db {

std::string roleIsMemberOfSql(const std::string& roleName, const std::string& ownerOid) {
  // Through pg_roles: pg_has_role() errors on a role name that does not exist.
  return "EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = " + roleName +
         " AND pg_catalog.pg_has_role(r.oid, " + ownerOid + ", 'MEMBER'))";
}

}  // namespace tenantshift::db
