#pragma once

#include <vector>

#include "plan/plan.h"
#include "plan/planning_context.h"

namespace tenantshift::plan {

// What `rollback --scenario full` would lose: per table whose tenant column the migration added,
// rows whose tenant differs from what the backfill derivation would give them again; when the
// migration created the tenants table, tenants rows it would not create again.
std::vector<DataLossCheck> dataLossChecks(const PlanContext& ctx);

}  // namespace tenantshift::plan
