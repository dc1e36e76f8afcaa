#include "engine/outcome.h"

#include <array>

namespace tenantshift::engine {

namespace {

constexpr std::array<Outcome, 10> kOutcomes = {
    Outcome::Completed,       Outcome::Failed,
    Outcome::InvalidInput,    Outcome::Paused,
    Outcome::LockHeld,        Outcome::PrerequisitesMissing,
    Outcome::PlanDrift,       Outcome::VerifyFailed,
    Outcome::DataLossRefused, Outcome::DatabaseUnreachable};

}  // namespace

std::string_view toString(Outcome outcome) {
  switch (outcome) {
    case Outcome::Completed:
      return "completed";
    case Outcome::Failed:
      return "failed";
    case Outcome::InvalidInput:
      return "invalid-input";
    case Outcome::Paused:
      return "paused";
    case Outcome::LockHeld:
      return "lock-held";
    case Outcome::PrerequisitesMissing:
      return "prerequisites-missing";
    case Outcome::PlanDrift:
      return "plan-drift";
    case Outcome::VerifyFailed:
      return "verify-failed";
    case Outcome::DataLossRefused:
      return "data-loss-refused";
    case Outcome::DatabaseUnreachable:
      return "database-unreachable";
  }
  return "failed";
}

std::optional<Outcome> outcomeFromString(std::string_view text) {
  for (Outcome outcome : kOutcomes) {
    if (toString(outcome) == text) {
      return outcome;
    }
  }
  return std::nullopt;
}

int exitCode(Outcome outcome) {
  return static_cast<int>(outcome);
}

}  // namespace tenantshift::engine
