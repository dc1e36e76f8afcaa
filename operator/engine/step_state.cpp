#include "engine/step_state.h"

#include <array>

namespace tenantshift::engine {

namespace {

constexpr std::array<StepState, 5> kStates = {StepState::Pending, StepState::Running,
                                              StepState::Done, StepState::Failed,
                                              StepState::RolledBack};

}  // namespace

std::string_view toString(StepState state) {
  switch (state) {
    case StepState::Pending:
      return "pending";
    case StepState::Running:
      return "running";
    case StepState::Done:
      return "done";
    case StepState::Failed:
      return "failed";
    case StepState::RolledBack:
      return "rolled_back";
  }
  return "pending";
}

std::optional<StepState> stepStateFromString(std::string_view text) {
  for (StepState state : kStates) {
    if (toString(state) == text) {
      return state;
    }
  }
  return std::nullopt;
}

bool mayHaveTakenEffect(StepState state) {
  return state == StepState::Done || state == StepState::Failed || state == StepState::Running;
}

}  // namespace tenantshift::engine
