#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// Phase `backfill`, tables in dependency order: for column-sourced tables the missing tenants
// rows first, then the batched fill of NULL tenant ids (keyset by primary key; see BackfillTask).
void addBackfillSteps(const PlanContext& ctx, std::vector<Step>& steps);

}  // namespace tenantshift::plan
