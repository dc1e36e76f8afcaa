#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// Phase `schema`: the tenants table, the default tenant, the bypass role, then per table (in
// dependency order) the nullable tenant column, its NOT VALID foreign key, and what gives rows
// written by the unchanged application their tenant (a column default or a trigger).
void addSchemaSteps(const PlanContext& ctx, std::vector<Step>& steps);

// The columns and values (as SQL expressions) of a new tenants row whose id is `idExpr`:
// (id[, slug][, name]). Used by the default tenant, column-sourced tenants and their trigger.
struct TenantsRow {
  std::string columns;
  std::string values;
};
TenantsRow tenantsRowFromId(const PlanContext& ctx, const std::string& idExpr);

}  // namespace tenantshift::plan
