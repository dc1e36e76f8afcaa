#pragma once

#include <string>

#include "plan/planning_context.h"

namespace tenantshift::plan {

// The SQL expression giving a row of `pt` (aliased `alias`) the tenant the backfill derives for
// it: the default tenant, its parent row's tenant, or its source column's value, falling back to
// the default tenant. `defaultParam` is the bind parameter holding the default tenant id as text
// (e.g. "$2").
std::string derivedTenant(const PlanContext& ctx, const PlannedTable& pt, const std::string& alias,
                          const std::string& defaultParam);

}  // namespace tenantshift::plan
