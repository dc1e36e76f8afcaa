#pragma once

#include <string>
#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"
#include "plan/tenant_fk_steps.h"

namespace tenantshift::plan {

// The tables that get policies: every planned table, each followed by its partitions (a query
// naming a partition directly does not go through the parent's policies).
std::vector<std::string> policyTables(const PlanContext& ctx);

// The policy condition while the application runs without a tenant (no tenant set: every row;
// a tenant set: only its rows) and the strict one enforced after the feature flag.
std::string permissiveCondition(const PlanContext& ctx);
std::string strictCondition(const PlanContext& ctx);
// The same for another column (the tenants table's id column).
std::string permissiveCondition(const PlanContext& ctx, const std::string& column);
std::string strictCondition(const PlanContext& ctx, const std::string& column);

// Phase `rls`: the four permissive-transition policies, then ENABLE + FORCE row-level security,
// on every tenant table, each of its partitions and the tenants table itself; then the paths
// around the policies the plan closes (exposure_steps.h).
void addRlsSteps(PlanContext& ctx, std::vector<Step>& steps);

// Phase `verify` (the engine's isolation check) and phase `flag`: the feature flag's SQL, then
// the policies made strict.
// After enforcement, the finalize steps: the tenant-consistent foreign keys that would have
// refused the unchanged application's writes (tenant_fk_steps.h), then the indexes rebuilt to
// lead with the tenant column replace their originals (index_rewrite_steps.h).
void addVerifyAndFlagSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                           const std::vector<IndexReplacement>& replacements,
                           std::vector<Step>& steps);

}  // namespace tenantshift::plan
