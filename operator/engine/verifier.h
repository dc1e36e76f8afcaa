#pragma once

#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <string>

#include "api/migration_spec.h"
#include "engine/verify_report.h"
#include "plan/catalog.h"
#include "plan/plan.h"

namespace tenantshift::engine {

// Proves isolation as the application's role (SET ROLE spec.database.appRole) for every planned
// table, inside a transaction that is always rolled back, so it changes nothing. `before` is the
// catalog snapshot from before the migration, `plan` says which tables are tenant tables,
// `baselineCounts` are the row counts recorded when the migration started (table -> rows).
// `strict`: the enforce step has run (no tenant set must then mean no rows).
VerifyReport verifyMigration(pqxx::connection& connection, const api::MigrationSpec& spec,
                             const plan::Catalog& before, const plan::Plan& plan,
                             const std::map<std::string, std::int64_t>& baselineCounts,
                             bool strict);

}  // namespace tenantshift::engine
