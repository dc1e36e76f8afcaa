#pragma once

#include <map>
#include <string>

#include "engine/step_state.h"
#include "plan/plan.h"

namespace tenantshift::engine {

// The first step (in plan order) of a phase before `phase` that is not done, or nullptr when
// every earlier phase is done. `states`: step id -> recorded state; absent steps never ran. Pure.
const plan::Step* firstUndonePrerequisite(const plan::Plan& plan, plan::Phase phase,
                                          const std::map<std::string, StepState>& states);

// Why `phase` cannot run yet: the first undone earlier phase, its step and state, and the
// command that does it.
std::string prerequisitesMissingMessage(plan::Phase phase, const plan::Step& undone,
                                        const std::map<std::string, StepState>& states);

}  // namespace tenantshift::engine
