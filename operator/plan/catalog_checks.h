#pragma once

#include <string>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// Queries returning one boolean, used as Step::appliedCheck. Names travel as parameters.

// A constraint `constraint` exists on table `table`.
Statement constraintExists(const PlanContext& ctx, const std::string& table,
                           const std::string& constraint);
// A valid index named `index` exists in the schema.
Statement validIndexExists(const PlanContext& ctx, const std::string& index);
// The index named `index` exists and its first column is the tenant column.
Statement indexLeadsWithTenant(const PlanContext& ctx, const std::string& index);
// Either of the two above: used for a unique key's rebuild, done once the swap has happened.
Statement validIndexOrKeyLeadsWithTenant(const PlanContext& ctx, const std::string& index,
                                         const std::string& key);
// The tenant column of `table` is NOT NULL.
Statement tenantColumnNotNull(const PlanContext& ctx, const std::string& table);
// The constraint `check` exists on `table`, or the tenant column is already NOT NULL.
Statement checkExistsOrTenantNotNull(const PlanContext& ctx, const std::string& table,
                                     const std::string& check);

Statement statement(std::string sql, std::vector<std::string> params = {});
// A CREATE/DROP INDEX CONCURRENTLY statement (Statement::concurrentIndex).
Statement concurrentIndexStatement(std::string sql);

}  // namespace tenantshift::plan
