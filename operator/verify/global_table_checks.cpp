#include "verify/global_table_checks.h"

#include "api/joined.h"
#include "verify/spec_lines.h"

namespace tenantshift::verify {

using api::joined;

std::vector<CheckResult> checkGlobalTables(const api::MigrationSpec& spec,
                                           const std::vector<GlobalTableFacts>& tables) {
  std::vector<CheckResult> out;
  for (const GlobalTableFacts& table : tables) {
    if (table.grants.empty()) {
      continue;
    }
    const std::string what =
        "the app role can write global table " + table.name + " (" + describeGrants(table.grants) +
        "): it is not tenant-scoped, so one tenant's session can change rows that every tenant "
        "reads";
    if (contains(spec.accept.writableGlobalTables, table.name)) {
      out.push_back(exposureResult("exposure.writable-global-table", table.name,
                                   CheckOutcome::Accepted, what,
                                   "spec.accept.writableGlobalTables"));
      continue;
    }
    out.push_back(
        exposureResult("exposure.writable-global-table", table.name, CheckOutcome::Warning,
                       what + "; if the application should not write it: " +
                           joined(revokeStatements("TABLE", table.qualified, table.grants), "; ") +
                           " (tenantshift never changes privileges); if it should, " +
                           acceptLine("writableGlobalTables", table.name)));
  }
  if (out.empty()) {
    out.push_back(result("exposure.writable-global-table", "", CheckOutcome::Passed,
                         "the app role can write no table outside the tenant tables"));
  }
  return out;
}

}  // namespace tenantshift::verify
