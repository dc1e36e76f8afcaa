#pragma once

#include "api/migration_spec.h"
#include "flag/feature_flag_switch.h"
#include "flag/flag_object.h"

namespace tenantshift::flag {

// spec.featureFlag.configMap: one key of a ConfigMap. Set by a merge patch of that key alone
// (the ConfigMap must exist; the key is added when missing). It takes effect when the
// application reads it: nothing to wait for (a pod that mounts the ConfigMap sees the new value
// once the kubelet syncs the volume, an env var from it only in new pods: for that, use a
// Deployment flag).
class ConfigMapFlagSwitch final : public FeatureFlagSwitch {
 public:
  // `ns`: the namespace to use (the spec's, or the default the caller resolved).
  ConfigMapFlagSwitch(kube::KubeClient& client, const api::ConfigMapFeatureFlag& flag,
                      const std::string& ns, const std::string& credentialsSource);

  std::string describe() const override;
  bool holds(const std::string& value) override;
  void set(const std::string& value) override;
  void awaitEffect(const WaitControl& wait) override;

 private:
  FlagObject object_;
  std::string key_;
};

}  // namespace tenantshift::flag
