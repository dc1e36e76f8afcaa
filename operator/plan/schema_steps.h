#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"
#include "plan/tenant_fk_steps.h"

namespace tenantshift::plan {

// Phase `schema`: the tenants table, the default tenant, the bypass role, then per table (in
// dependency order) the nullable tenant column, its NOT VALID foreign key to the tenants table
// (per leaf partition for a partitioned table), and what gives rows written by the unchanged
// application their tenant (trigger_steps.h); then the parents' tenant-move guards
// (tenant_move_guard.h), and the tenant-consistent foreign keys' parent keys and NOT VALID
// constraints (tenant_fk_steps.h).
void addSchemaSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                    std::vector<Step>& steps);

// "FOREIGN KEY (tenant) REFERENCES tenants (id)": the tenant column's foreign key.
std::string tenantFkDefinition(const PlanContext& ctx);

}  // namespace tenantshift::plan
