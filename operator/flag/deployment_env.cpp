#include "flag/deployment_env.h"

#include "flag/flag_switch_error.h"

namespace tenantshift::flag {

namespace {

const nlohmann::json& containersOf(const nlohmann::json& deployment) {
  static const nlohmann::json kNone = nlohmann::json::array();
  const nlohmann::json* node = &deployment;
  for (const char* key : {"spec", "template", "spec", "containers"}) {
    if (!node->is_object() || !node->contains(key)) {
      return kNone;
    }
    node = &(*node)[key];
  }
  return node->is_array() ? *node : kNone;
}

// The index of the container named `name` in the pod template; throws when there is none.
std::size_t containerIndex(const nlohmann::json& deployment, const std::string& name) {
  const nlohmann::json& containers = containersOf(deployment);
  std::string names;
  for (std::size_t i = 0; i < containers.size(); ++i) {
    const std::string each = containers[i].value("name", "");
    if (each == name) {
      return i;
    }
    names += (names.empty() ? "" : ", ") + each;
  }
  const auto& metadata = deployment.value("metadata", nlohmann::json::object());
  throw FlagSwitchError(
      "Deployment " + metadata.value("namespace", "") + "/" + metadata.value("name", "") +
      " has no container \"" + name + "\" in its pod template (its containers: " +
      (names.empty() ? "none" : names) + "): correct spec.featureFlag.deployment.container");
}

// The index of the variable in the container's env, when it is there.
std::optional<std::size_t> envIndex(const nlohmann::json& container, const std::string& name) {
  const auto env = container.find("env");
  if (env == container.end() || !env->is_array()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < env->size(); ++i) {
    if ((*env)[i].value("name", "") == name) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> envValue(const nlohmann::json& deployment, const EnvVariable& variable) {
  const nlohmann::json& container =
      containersOf(deployment)[containerIndex(deployment, variable.container)];
  const auto index = envIndex(container, variable.name);
  if (!index) {
    return std::nullopt;
  }
  const nlohmann::json& entry = container["env"][*index];
  if (entry.contains("valueFrom")) {
    return std::nullopt;
  }
  // An entry without `value` is the empty string, as the kubelet gives it to the process.
  return entry.value("value", "");
}

std::optional<kube::JsonPatch> envPatch(const nlohmann::json& deployment,
                                        const EnvVariable& variable, const std::string& value) {
  if (envValue(deployment, variable) == value) {
    return std::nullopt;
  }
  const std::size_t index = containerIndex(deployment, variable.container);
  const nlohmann::json& container = containersOf(deployment)[index];
  const std::string path = "/spec/template/spec/containers/" + std::to_string(index);
  const nlohmann::json entry = {{"name", variable.name}, {"value", value}};
  kube::JsonPatch patch;
  patch.test(path, container);
  if (const auto at = envIndex(container, variable.name)) {
    patch.replace(path + "/env/" + std::to_string(*at), entry);
  } else if (container.contains("env") && container["env"].is_array()) {
    patch.add(path + "/env/-", entry);
  } else {
    patch.add(path + "/env", nlohmann::json::array({entry}));
  }
  return patch;
}

}  // namespace tenantshift::flag
