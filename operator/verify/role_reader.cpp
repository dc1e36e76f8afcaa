#include "verify/role_reader.h"

#include <algorithm>

#include "plan/sql_identifier.h"
#include "verify/sql_support.h"

namespace tenantshift::verify {

namespace {

// The predefined roles (pg_*) the role `appOid` is a member of, each with the roles granted to
// it by name that lead there. pg_auth_members may hold one grant per grantor (PostgreSQL 16+).
std::vector<PredefinedRoleMembership> readPredefinedRoles(pqxx::transaction_base& tx,
                                                          const std::string& appOid) {
  std::vector<PredefinedRoleMembership> out;
  for (const auto& row : tx.exec_params(
           "SELECT p.rolname::text,"
           "       (SELECT COALESCE(pg_catalog.json_agg(DISTINCT g.rolname::text),"
           "                        '[]'::pg_catalog.json)"
           "          FROM pg_catalog.pg_auth_members m"
           "          JOIN pg_catalog.pg_roles g ON g.oid = m.roleid"
           "         WHERE m.member = $1::pg_catalog.oid"
           "           AND (g.oid = p.oid OR pg_catalog.pg_has_role(g.oid, p.oid, 'MEMBER')))"
           "  FROM pg_catalog.pg_roles p"
           " WHERE pg_catalog.starts_with(p.rolname, 'pg_') AND p.oid <> $1::pg_catalog.oid"
           "   AND pg_catalog.pg_has_role($1::pg_catalog.oid, p.oid, 'MEMBER')"
           " ORDER BY p.rolname",
           appOid)) {
    PredefinedRoleMembership membership;
    membership.role = row[0].as<std::string>();
    membership.through = parseJsonList(row[1]);
    std::sort(membership.through.begin(), membership.through.end());
    out.push_back(std::move(membership));
  }
  return out;
}

}  // namespace

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
    facts.predefinedRoles = readPredefinedRoles(tx, appOid);
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
