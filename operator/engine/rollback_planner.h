#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/step_state.h"
#include "plan/plan.h"

namespace tenantshift::engine {

// The phases a rollback scenario undoes: FlagOff {flag}; DisableRls {flag, verify, rls};
// Full {flag, verify, rls, constraints, backfill, schema}.
std::vector<plan::Phase> phasesUndoneBy(RollbackScenario scenario);

// Which steps a rollback undoes, in the order to undo them: the steps of the scenario's phases
// whose recorded state says their up may have taken effect (done, failed or running — their
// down SQL is written to be safe after a partial up), in reverse plan order. Pure.
// `states`: step id -> recorded state; steps absent from it never ran.
std::vector<const plan::Step*> stepsToUndo(const plan::Plan& plan, RollbackScenario scenario,
                                           const std::map<std::string, StepState>& states);

}  // namespace tenantshift::engine
