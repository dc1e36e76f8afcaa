#include "engine/rollback_planner.h"

#include <algorithm>

namespace tenantshift::engine {

std::optional<RollbackScenario> rollbackScenarioFromString(std::string_view name) {
  if (name == "flag-off") {
    return RollbackScenario::FlagOff;
  }
  if (name == "disable-rls") {
    return RollbackScenario::DisableRls;
  }
  if (name == "full") {
    return RollbackScenario::Full;
  }
  return std::nullopt;
}

std::string_view toString(RollbackScenario scenario) {
  switch (scenario) {
    case RollbackScenario::FlagOff:
      return "flag-off";
    case RollbackScenario::DisableRls:
      return "disable-rls";
    case RollbackScenario::Full:
      return "full";
  }
  return "full";
}

namespace {

constexpr const char* kFinalizePrefix = "flag/finalize/";

}  // namespace

std::vector<plan::Phase> phasesUndoneBy(RollbackScenario scenario) {
  using plan::Phase;
  switch (scenario) {
    case RollbackScenario::FlagOff:
      return {Phase::Flag};
    case RollbackScenario::DisableRls:
      return {Phase::Flag, Phase::Verify, Phase::Rls};
    case RollbackScenario::Full:
      return {Phase::Flag,        Phase::Verify,   Phase::Rls,
              Phase::Constraints, Phase::Backfill, Phase::Schema};
  }
  return {};
}

std::vector<const plan::Step*> stepsToUndo(const plan::Plan& plan, RollbackScenario scenario,
                                           const std::map<std::string, StepState>& states) {
  const std::vector<plan::Phase> phases = phasesUndoneBy(scenario);
  std::vector<const plan::Step*> out;
  std::vector<const plan::Step*> finalize;
  for (auto it = plan.steps.rbegin(); it != plan.steps.rend(); ++it) {
    if (std::find(phases.begin(), phases.end(), it->phase) == phases.end()) {
      continue;
    }
    const auto state = states.find(it->id);
    if (state == states.end()) {
      continue;
    }
    if (mayHaveTakenEffect(state->second)) {
      (it->id.rfind(kFinalizePrefix, 0) == 0 ? finalize : out).push_back(&*it);
    }
  }
  // The indexes the flag phase replaced come back after the flag is off and the policies
  // relaxed, not before: rebuilding them takes time (and a global unique key may not come back
  // at all when tenants now share a value), and the emergency is the flag.
  const auto flagEnd = std::find_if(
      out.begin(), out.end(), [](const plan::Step* s) { return s->phase != plan::Phase::Flag; });
  out.insert(flagEnd, finalize.begin(), finalize.end());
  return out;
}

}  // namespace tenantshift::engine
