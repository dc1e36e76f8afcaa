#pragma once

#include <chrono>

#include "api/migration_spec.h"
#include "flag/deployment_env.h"
#include "flag/feature_flag_switch.h"
#include "flag/flag_object.h"

namespace tenantshift::flag {

// spec.featureFlag.deployment: an environment variable of one container of a Deployment, as
// `kubectl set env` sets it. Set by a JSON patch of that one variable (added when missing; a
// valueFrom replaced by the literal), guarded by a `test` of the container: a Deployment
// changed in between is read and patched again. Changing the pod template starts a rollout:
// awaitEffect waits, like `kubectl rollout status`, until it is complete (rollout_status.h),
// at most rolloutTimeout, logging its progress.
class DeploymentEnvFlagSwitch final : public FeatureFlagSwitch {
 public:
  DeploymentEnvFlagSwitch(kube::KubeClient& client, const api::DeploymentFeatureFlag& flag,
                          const std::string& ns, const std::string& credentialsSource);

  std::string describe() const override;
  bool holds(const std::string& value) override;
  void set(const std::string& value) override;
  void awaitEffect(const WaitControl& wait) override;

 private:
  FlagObject object_;
  EnvVariable variable_;
  std::chrono::milliseconds rolloutTimeout_;
};

}  // namespace tenantshift::flag
