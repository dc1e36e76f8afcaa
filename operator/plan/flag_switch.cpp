#include "plan/flag_switch.h"

namespace tenantshift::plan {

namespace {

std::string quoted(const std::string& value) {
  return "\"" + value + "\"";
}

std::string inNamespace(const std::string& ns) {
  return ns.empty() ? "" : " (namespace " + ns + ")";
}

}  // namespace

std::vector<std::string> flagSwitchFields(const FlagSwitch& flag) {
  if (const auto* c = std::get_if<api::ConfigMapFeatureFlag>(&flag)) {
    return {"configMap", c->ns, c->name, c->key, c->on, c->off};
  }
  const auto& d = std::get<api::DeploymentFeatureFlag>(flag);
  return {"deployment", d.ns, d.name, d.container, d.env, d.on, d.off};
}

std::string flagSwitchSpecField(const FlagSwitch& flag) {
  return std::holds_alternative<api::ConfigMapFeatureFlag>(flag) ? "spec.featureFlag.configMap"
                                                                 : "spec.featureFlag.deployment";
}

std::string describeFlagSetting(const FlagSwitch& flag, const std::string& value) {
  if (const auto* c = std::get_if<api::ConfigMapFeatureFlag>(&flag)) {
    return "ConfigMap " + c->name + inNamespace(c->ns) + " key " + c->key + ": " + quoted(value);
  }
  const auto& d = std::get<api::DeploymentFeatureFlag>(flag);
  return "Deployment " + d.name + inNamespace(d.ns) + " container " + d.container + " env " +
         d.env + "=" + quoted(value);
}

}  // namespace tenantshift::plan
