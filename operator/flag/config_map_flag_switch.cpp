#include "flag/config_map_flag_switch.h"

namespace tenantshift::flag {

ConfigMapFlagSwitch::ConfigMapFlagSwitch(kube::KubeClient& client,
                                         const api::ConfigMapFeatureFlag& flag,
                                         const std::string& ns,
                                         const std::string& credentialsSource)
    : object_(client, {kube::resources::configMaps(), ns, flag.name, ""}, "ConfigMap",
              "spec.featureFlag.configMap", {"get", "patch"}, credentialsSource),
      key_(flag.key) {}

std::string ConfigMapFlagSwitch::describe() const {
  return object_.describe() + " key " + key_;
}

bool ConfigMapFlagSwitch::holds(const std::string& value) {
  const nlohmann::json configMap = object_.get();
  const auto data = configMap.find("data");
  if (data == configMap.end() || !data->is_object()) {
    return false;
  }
  const auto current = data->find(key_);
  return current != data->end() && current->is_string() && current->get<std::string>() == value;
}

void ConfigMapFlagSwitch::set(const std::string& value) {
  object_.patch(kube::PatchType::Merge, {{"data", {{key_, value}}}});
}

void ConfigMapFlagSwitch::awaitEffect(const WaitControl& /*wait*/) {}

}  // namespace tenantshift::flag
