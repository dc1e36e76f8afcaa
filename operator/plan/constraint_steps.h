#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// Phase `constraints`, per table in dependency order: validate the tenant foreign key; NOT NULL
// through a validated CHECK (so SET NOT NULL needs no scan under an exclusive lock); an index
// leading with the tenant column built CONCURRENTLY; unique keys rewritten to lead with the
// tenant column (new unique index built CONCURRENTLY, then swapped in). Adds notes for the
// unique keys left global and why.
void addConstraintSteps(PlanContext& ctx, std::vector<Step>& steps);

}  // namespace tenantshift::plan
