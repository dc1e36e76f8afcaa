#include "engine/phase_prerequisites.h"

namespace tenantshift::engine {

const plan::Step* firstUndonePrerequisite(const plan::Plan& plan, plan::Phase phase,
                                          const std::map<std::string, StepState>& states) {
  for (const plan::Step& step : plan.steps) {
    if (!plan::isBefore(step.phase, phase)) {
      continue;
    }
    const auto recorded = states.find(step.id);
    if (recorded == states.end() || recorded->second != StepState::Done) {
      return &step;
    }
  }
  return nullptr;
}

std::string prerequisitesMissingMessage(plan::Phase phase, const plan::Step& undone,
                                        const std::map<std::string, StepState>& states) {
  const auto recorded = states.find(undone.id);
  const std::string state =
      recorded == states.end() ? "never ran" : "is " + std::string(toString(recorded->second));
  const std::string earlier(plan::toString(undone.phase));
  return "phase " + std::string(plan::toString(phase)) + " needs phase " + earlier +
         " done first (its step " + undone.id + " " + state + "); run `tenantshift phase " +
         earlier + "` first, or `tenantshift run --until " + std::string(plan::toString(phase)) +
         "` for every phase up to this one";
}

}  // namespace tenantshift::engine
