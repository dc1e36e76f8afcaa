#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/json_patch.h"

namespace tenantshift::flag {

// One environment variable of one container of a Deployment's pod template
// (spec.featureFlag.deployment: container and env).
struct EnvVariable {
  std::string container;
  std::string name;
};

// The variable's literal value in the Deployment's pod template; nullopt when the container does
// not set it, or sets it from a reference (valueFrom). Throws FlagSwitchError when the template
// has no such container (naming the containers it has).
std::optional<std::string> envValue(const nlohmann::json& deployment, const EnvVariable& variable);

// The JSON patch that gives the variable `value` (a literal, replacing a valueFrom), adding it
// to the container's env when it is not there; nullopt when it has that value already. It
// starts with a `test` of the whole container as read, so that the API server refuses it (422)
// when the container changed since: read again and patch again. Throws FlagSwitchError when
// there is no such container.
std::optional<kube::JsonPatch> envPatch(const nlohmann::json& deployment,
                                        const EnvVariable& variable, const std::string& value);

}  // namespace tenantshift::flag
