#include "verify/role_checks.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

bool appRoleUsable(const RoleFacts& role) {
  return role.exists && role.runnerCanSetRole;
}

std::vector<CheckResult> checkRoles(const RoleFacts& role,
                                    const std::vector<RelationFacts>& relations,
                                    const std::string& specSchema) {
  std::vector<CheckResult> out;
  const std::string app = quoteIdent(role.appRole);
  if (!role.runnerSuperuser && !role.runnerBypassRls) {
    out.push_back(result("runner.bypass-rls", "", CheckOutcome::Warning,
                         "verify runs as " + quoteIdent(role.runner) +
                             ", which is neither superuser nor BYPASSRLS: its row counts are "
                             "filtered by row-level security on FORCE'd tables; run verify as a "
                             "superuser or a BYPASSRLS role for exact counts"));
  }
  if (role.appRole.empty()) {
    out.push_back(result("role.exists", "", CheckOutcome::Failed,
                         "spec.database.appRole is empty: name the application's login role, the "
                         "role row-level security must apply to"));
    return out;
  }
  if (!role.exists) {
    out.push_back(
        result("role.exists", "", CheckOutcome::Failed,
               "the app role " + app + " does not exist: create it or fix spec.database.appRole"));
    return out;
  }
  out.push_back(result("role.exists", "", CheckOutcome::Passed, "the app role " + app + " exists"));
  out.push_back(role.superuser
                    ? result("role.not-superuser", "", CheckOutcome::Failed,
                             "the app role " + app +
                                 " is a superuser and bypasses row-level security: ALTER ROLE " +
                                 app + " NOSUPERUSER")
                    : result("role.not-superuser", "", CheckOutcome::Passed,
                             "the app role is not a superuser"));
  out.push_back(role.bypassRls
                    ? result("role.no-bypassrls", "", CheckOutcome::Failed,
                             "the app role " + app +
                                 " has BYPASSRLS and bypasses row-level security: ALTER ROLE " +
                                 app + " NOBYPASSRLS")
                    : result("role.no-bypassrls", "", CheckOutcome::Passed,
                             "the app role does not have BYPASSRLS"));
  if (role.bypassingRolesReachable.empty()) {
    out.push_back(result("role.no-bypassing-membership", "", CheckOutcome::Passed,
                         "the app role is a member of no superuser or BYPASSRLS role"));
  } else {
    std::vector<std::string> revokes;
    for (const std::string& granted : role.bypassingRolesReachable) {
      revokes.push_back("REVOKE " + quoteIdent(granted) + " FROM " + app);
    }
    out.push_back(
        result("role.no-bypassing-membership", "", CheckOutcome::Failed,
               "the app role " + app + " is a member of " + joined(role.bypassingRolesReachable) +
                   ", which bypass row-level security, and can SET ROLE to them: " +
                   joined(revokes, "; ") + " (or revoke the membership that leads there)"));
  }
  for (CheckResult& predefined : checkPredefinedRoles(role.appRole, role.predefinedRoles)) {
    out.push_back(std::move(predefined));
  }
  std::vector<std::string> owned;
  for (const RelationFacts& relation : relations) {
    if (relation.exists && relation.appActsAsOwner) {
      owned.push_back(relation.label(specSchema) + " (owner " + quoteIdent(relation.owner) + ")");
    }
  }
  if (owned.empty()) {
    out.push_back(result("role.not-owner", "", CheckOutcome::Passed,
                         "the app role owns no tenant table (nor is a member of an owner)"));
  } else {
    out.push_back(result("role.not-owner", "", CheckOutcome::Failed,
                         "the app role " + app + " owns (or is a member of the owner of) " +
                             joined(owned) +
                             "; an owner can disable row-level security and drop the policies, "
                             "and bypasses them unless FORCE is set: ALTER TABLE ... OWNER TO a "
                             "role the application does not use (or revoke the membership)"));
  }
  if (role.runnerCanSetRole) {
    out.push_back(result("role.assumable", "", CheckOutcome::Passed,
                         "verify (as " + quoteIdent(role.runner) + ") can SET ROLE " + app));
  } else {
    out.push_back(result("role.assumable", "", CheckOutcome::Failed,
                         "verify runs as " + quoteIdent(role.runner) + ", which cannot SET ROLE " +
                             app + " (" + role.setRoleError +
                             "), so isolation cannot be probed: run verify as a superuser or "
                             "GRANT " +
                             app + " TO " + quoteIdent(role.runner)));
  }
  return out;
}

}  // namespace tenantshift::verify
