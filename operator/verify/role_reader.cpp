#include "verify/role_reader.h"

#include "plan/sql_identifier.h"
#include "verify/sql_support.h"

namespace tenantshift::verify {

RoleFacts readRoleFacts(pqxx::transaction_base& tx, const std::string& appRole,
                        std::string& appOid) {
  RoleFacts facts;
  facts.appRole = appRole;
  auto runner = tx.exec_params1(
      "SELECT current_user::text, r.rolsuper, r.rolbypassrls FROM pg_catalog.pg_roles r"
      " WHERE r.rolname = current_user");
  facts.runner = runner[0].as<std::string>();
  facts.runnerSuperuser = runner[1].as<bool>();
  facts.runnerBypassRls = runner[2].as<bool>();
  appOid = "0";
  if (appRole.empty()) {
    return facts;
  }
  auto rows = tx.exec_params(
      "SELECT oid::text, rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = $1",
      appRole);
  if (rows.empty()) {
    return facts;
  }
  facts.exists = true;
  appOid = rows[0][0].as<std::string>();
  facts.superuser = rows[0][1].as<bool>();
  facts.bypassRls = rows[0][2].as<bool>();
  // A superuser is a member of every role (and already fails role.not-superuser).
  if (!facts.superuser) {
    for (const auto& row :
         tx.exec_params("SELECT b.rolname FROM pg_catalog.pg_roles b"
                        " WHERE (b.rolsuper OR b.rolbypassrls) AND b.oid <> $1::oid"
                        "   AND pg_catalog.pg_has_role($1::oid, b.oid, 'MEMBER')"
                        " ORDER BY b.rolname",
                        appOid)) {
      facts.bypassingRolesReachable.push_back(row[0].as<std::string>());
    }
  }
  const StatementResult setRole = attempt(tx, [&](pqxx::transaction_base& statement) {
    statement.exec_params("SET LOCAL ROLE " + plan::quoteIdent(appRole));
    return std::size_t{0};
  });
  facts.runnerCanSetRole = !setRole.failed();
  facts.setRoleError = setRole.error;
  return facts;
}

}  // namespace tenantshift::verify
