#pragma once

#include <optional>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// The flag phase's first step, "flag/on", when the spec has a feature flag: up turns it on,
// down (rollback flag-off) turns it off.
// - spec.featureFlag.sql: its statements, in the step's transaction (committed with the
//   ledger's record), with the schema on the search_path.
// - spec.featureFlag.configMap / .deployment: a FlagSwitch step that the engine carries out
//   through the Kubernetes API; a Deployment's step ends once its rollout is complete, so that
//   enforcement (the next step) never starts while pods without the flag still serve.
std::optional<Step> featureFlagStep(const PlanContext& ctx);

}  // namespace tenantshift::plan
