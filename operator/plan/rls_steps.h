#pragma once

#include <string>
#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// The tables that get policies: every planned table, each followed by its partitions (a query
// naming a partition directly does not go through the parent's policies).
std::vector<std::string> policyTables(const PlanContext& ctx);

// The policy condition while the application runs without a tenant (no tenant set: every row;
// a tenant set: only its rows) and the strict one enforced after the feature flag.
std::string permissiveCondition(const PlanContext& ctx);
std::string strictCondition(const PlanContext& ctx);

// Phase `rls`: ENABLE + FORCE row-level security and the four permissive-transition policies.
void addRlsSteps(const PlanContext& ctx, std::vector<Step>& steps);

// Phase `verify` (the engine's isolation check) and phase `flag`: the feature flag's SQL, then
// the policies made strict.
void addVerifyAndFlagSteps(const PlanContext& ctx, std::vector<Step>& steps);

}  // namespace tenantshift::plan
