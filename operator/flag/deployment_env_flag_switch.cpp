#include "flag/deployment_env_flag_switch.h"

#include <spdlog/spdlog.h>

#include "api/duration.h"
#include "flag/flag_switch_error.h"
#include "flag/rollout_status.h"

namespace tenantshift::flag {

namespace {

// Patches tried when the container keeps changing between our read and our patch.
constexpr int kPatchAttempts = 5;
// How often the rollout is looked at, and how often its progress is logged when it stays the
// same.
constexpr std::chrono::milliseconds kPollInterval{1000};
constexpr std::chrono::seconds kProgressLogInterval{15};

std::chrono::milliseconds millisBetween(std::chrono::steady_clock::time_point from,
                                        std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from);
}

}  // namespace

DeploymentEnvFlagSwitch::DeploymentEnvFlagSwitch(kube::KubeClient& client,
                                                 const api::DeploymentFeatureFlag& flag,
                                                 const std::string& ns,
                                                 const std::string& credentialsSource)
    : object_(client, {kube::resources::deployments(), ns, flag.name, ""}, "Deployment",
              "spec.featureFlag.deployment", {"get", "patch"}, credentialsSource),
      variable_{flag.container, flag.env},
      rolloutTimeout_(flag.rolloutTimeout) {}

std::string DeploymentEnvFlagSwitch::describe() const {
  return object_.describe() + " container " + variable_.container + " env " + variable_.name;
}

bool DeploymentEnvFlagSwitch::holds(const std::string& value) {
  return envValue(object_.get(), variable_) == value;
}

void DeploymentEnvFlagSwitch::set(const std::string& value) {
  for (int attempt = 1;; ++attempt) {
    const auto patch = envPatch(object_.get(), variable_, value);
    if (!patch) {
      return;
    }
    try {
      object_.patch(kube::PatchType::Json, patch->operations());
      return;
    } catch (const PatchRefusedError& error) {
      if (attempt == kPatchAttempts) {
        throw FlagSwitchError(std::string(error.what()) + " (tried " +
                              std::to_string(kPatchAttempts) +
                              " times; the container changed under each patch, or the API "
                              "server finds the value invalid)");
      }
      spdlog::info(
          "feature flag {}: the Deployment changed while it was patched; reading it "
          "again (attempt {} of {})",
          describe(), attempt + 1, kPatchAttempts);
    }
  }
}

void DeploymentEnvFlagSwitch::awaitEffect(const WaitControl& wait) {
  const auto start = wait.now();
  auto lastLog = start;
  std::string lastMessage;
  const std::string where = "while waiting for the rollout of " + object_.describe();
  for (;;) {
    const RolloutStatus status = rolloutStatus(object_.get());
    const auto now = wait.now();
    const std::string waited = api::formatDuration(millisBetween(start, now));
    if (status.complete()) {
      spdlog::info("feature flag {}: rollout {} (after {})", describe(), status.message, waited);
      return;
    }
    const std::string see = "see `kubectl rollout status deployment/" + object_.ref().name +
                            " -n " + object_.ref().ns + "` and `kubectl describe` of it";
    if (status.failed()) {
      throw FlagSwitchError(object_.describe() + " does not roll out: " + status.message + "; " +
                            see);
    }
    if (millisBetween(start, now) >= rolloutTimeout_) {
      throw FlagSwitchError("the rollout of " + object_.describe() + " is not complete after " +
                            api::formatDuration(rolloutTimeout_) +
                            " (spec.featureFlag.deployment.rolloutTimeout): " + status.message +
                            "; " + see);
    }
    if (status.message != lastMessage || millisBetween(lastLog, now) >= kProgressLogInterval) {
      spdlog::info("feature flag {}: waiting for the rollout: {} ({} of at most {})", describe(),
                   status.message, waited, api::formatDuration(rolloutTimeout_));
      lastMessage = status.message;
      lastLog = now;
    }
    wait.checkpoint(where);
    wait.sleep(kPollInterval);
  }
}

}  // namespace tenantshift::flag
