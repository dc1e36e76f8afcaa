#pragma once

#include <map>
#include <string>

#include "engine/step_state.h"
#include "plan/plan.h"

namespace tenantshift::engine {

struct StepCounts {
  int done = 0;
  int total = 0;
};

// How far the ledger is through the plan: what a termination message and `plan -o json` report.
struct PlanProgress {
  std::string planHash;  // plan::planHash of the plan
  StepCounts steps;
  std::map<plan::Phase, StepCounts> phases;  // every phase, also one without steps

  StepCounts of(plan::Phase phase) const;
};

// The plan's hash and its done/total steps, overall and per phase. `states`: step id ->
// recorded state; absent steps never ran. Pure.
PlanProgress planProgress(const plan::Plan& plan, const std::map<std::string, StepState>& states);

}  // namespace tenantshift::engine
