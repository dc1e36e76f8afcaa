#pragma once

#include <string>
#include <vector>

#include "verify/verify_report.h"

namespace tenantshift::verify {

// A role PostgreSQL predefines (pg_read_all_data, pg_monitor, ...; pg_database_owner for the
// owner of the database) that the app role is a member of, directly or through other roles.
struct PredefinedRoleMembership {
  std::string role;
  // The roles granted to the app role by name through which it holds `role` (`role` itself when
  // granted directly); empty for pg_database_owner, which comes with owning the database.
  std::vector<std::string> through;
};

// role.predefined, one result per predefined role the app role holds: Failed for those that read
// or write around the policies (every table's data, the server's files and programs, every
// session's SQL text, locks on any table, the database's defaults), Warning for the others, each
// with the REVOKE that takes it away; one Passed result when it holds none.
std::vector<CheckResult> checkPredefinedRoles(const std::string& appRole,
                                              const std::vector<PredefinedRoleMembership>& held);

}  // namespace tenantshift::verify
