#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "verify/grants.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// A table of the schema that is not tenant-scoped (spec.exclude, or not planned) and that the
// app role can write.
struct GlobalTableFacts {
  std::string name;
  std::string qualified;      // "schema"."name"
  std::vector<Grant> grants;  // only INSERT, UPDATE, DELETE, TRUNCATE
};

// exposure.writable-global-table: a Warning exposure per table (one tenant's session can change
// rows every tenant reads) with the REVOKE the user may want (never applied), Accepted when
// listed in spec.accept.writableGlobalTables.
std::vector<CheckResult> checkGlobalTables(const api::MigrationSpec& spec,
                                           const std::vector<GlobalTableFacts>& tables);

}  // namespace tenantshift::verify
