#include "flag/rollout_status.h"

#include <cstdint>

namespace tenantshift::flag {

namespace {

std::int64_t integerAt(const nlohmann::json& object, const char* section, const char* field,
                       std::int64_t absent) {
  const auto outer = object.find(section);
  if (outer == object.end() || !outer->is_object()) {
    return absent;
  }
  const auto value = outer->find(field);
  return value != outer->end() && value->is_number_integer() ? value->get<std::int64_t>() : absent;
}

// The Progressing condition's reason and message, when it has failed the rollout.
const nlohmann::json* deadlineExceeded(const nlohmann::json& deployment) {
  const auto status = deployment.find("status");
  if (status == deployment.end() || !status->contains("conditions")) {
    return nullptr;
  }
  for (const auto& condition : (*status)["conditions"]) {
    if (condition.value("type", "") == "Progressing" &&
        condition.value("reason", "") == "ProgressDeadlineExceeded") {
      return &condition;
    }
  }
  return nullptr;
}

RolloutStatus waiting(std::string message) {
  return {RolloutStatus::State::Waiting, std::move(message)};
}

}  // namespace

RolloutStatus rolloutStatus(const nlohmann::json& deployment) {
  const std::int64_t generation = integerAt(deployment, "metadata", "generation", 0);
  const std::int64_t observed = integerAt(deployment, "status", "observedGeneration", 0);
  if (observed < generation) {
    return waiting("the Deployment controller has not seen the change yet (generation " +
                   std::to_string(generation) + ", observed " + std::to_string(observed) + ")");
  }
  if (const nlohmann::json* condition = deadlineExceeded(deployment)) {
    return {RolloutStatus::State::Failed,
            "the rollout exceeded its progress deadline (spec.progressDeadlineSeconds): " +
                condition->value("message", std::string("no message"))};
  }
  const auto spec = deployment.find("spec");
  if (spec != deployment.end() && spec->value("paused", false)) {
    return {RolloutStatus::State::Failed,
            "the Deployment is paused (spec.paused), so nothing rolls out: resume it with "
            "`kubectl rollout resume`"};
  }
  const std::int64_t wanted = integerAt(deployment, "spec", "replicas", 1);
  const std::int64_t updated = integerAt(deployment, "status", "updatedReplicas", 0);
  const std::int64_t replicas = integerAt(deployment, "status", "replicas", 0);
  const std::int64_t available = integerAt(deployment, "status", "availableReplicas", 0);
  if (updated < wanted) {
    return waiting(std::to_string(updated) + " of " + std::to_string(wanted) +
                   " new replicas have been updated");
  }
  if (replicas > updated) {
    return waiting(std::to_string(replicas - updated) + " old replicas are pending termination");
  }
  if (updated > wanted) {
    return waiting(std::to_string(updated) + " updated replicas, scaling down to " +
                   std::to_string(wanted));
  }
  if (available < wanted) {
    return waiting(std::to_string(available) + " of " + std::to_string(wanted) +
                   " updated replicas are available");
  }
  return {RolloutStatus::State::Complete, "complete: " + std::to_string(wanted) + " of " +
                                              std::to_string(wanted) +
                                              " updated replicas are available"};
}

}  // namespace tenantshift::flag
