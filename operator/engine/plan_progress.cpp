#include "engine/plan_progress.h"

#include "plan/plan_hash.h"

namespace tenantshift::engine {

StepCounts PlanProgress::of(plan::Phase phase) const {
  const auto counts = phases.find(phase);
  return counts == phases.end() ? StepCounts{} : counts->second;
}

PlanProgress planProgress(const plan::Plan& plan, const std::map<std::string, StepState>& states) {
  PlanProgress out;
  out.planHash = plan::planHash(plan);
  for (plan::Phase phase : plan::kPhases) {
    out.phases[phase] = StepCounts{};
  }
  for (const plan::Step& step : plan.steps) {
    const auto recorded = states.find(step.id);
    const int done = recorded != states.end() && recorded->second == StepState::Done ? 1 : 0;
    StepCounts& phase = out.phases[step.phase];
    ++phase.total;
    phase.done += done;
    ++out.steps.total;
    out.steps.done += done;
  }
  return out;
}

}  // namespace tenantshift::engine
