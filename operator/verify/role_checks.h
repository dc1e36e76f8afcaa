#pragma once

#include <string>
#include <vector>

#include "verify/predefined_role_checks.h"
#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// The application role and the role verify runs as.
struct RoleFacts {
  std::string appRole;  // spec.database.appRole
  bool exists = false;
  bool superuser = false;
  bool bypassRls = false;
  // Roles with SUPERUSER or BYPASSRLS that the app role is a member of (and so may SET ROLE to).
  std::vector<std::string> bypassingRolesReachable;
  // Predefined roles (pg_read_all_stats, ...) it is a member of; none read for a superuser.
  std::vector<PredefinedRoleMembership> predefinedRoles;
  std::string runner;
  bool runnerSuperuser = false;
  bool runnerBypassRls = false;
  bool runnerCanSetRole = false;  // SET ROLE to the app role worked
  std::string setRoleError;       // why it did not
};

// Whether the probes can run as the app role at all.
bool appRoleUsable(const RoleFacts& role);

// role.exists, role.not-superuser, role.no-bypassrls, role.no-bypassing-membership,
// role.predefined (checkPredefinedRoles), role.not-owner (no relation owned by the app role or a
// role it is a member of), role.assumable, runner.bypass-rls (a Warning: the runner's counts are
// filtered).
std::vector<CheckResult> checkRoles(const RoleFacts& role,
                                    const std::vector<RelationFacts>& relations,
                                    const std::string& specSchema);

}  // namespace tenantshift::verify
