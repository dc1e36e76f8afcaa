#pragma once

#include <string>
#include <vector>

#include "plan/step.h"

namespace tenantshift::plan {

// The fields that say what a flag switch does, in a fixed order (its kind, namespace, name, key
// or container and variable, on and off): what the step's checksum and the plan's hash cover,
// so that another ConfigMap, Deployment or value is another plan. Not the rollout timeout: how
// long to wait is no change to approve, and may be raised after a rollout took longer.
std::vector<std::string> flagSwitchFields(const FlagSwitch& flag);

// Where it comes from in the manifest: "spec.featureFlag.configMap" or
// "spec.featureFlag.deployment".
std::string flagSwitchSpecField(const FlagSwitch& flag);

// What setting it to `value` does, for people: `ConfigMap app-config key rls: "true"`,
// `Deployment api container api env RLS_ENABLED="true"`, with "(namespace N)" when the spec
// names one.
std::string describeFlagSetting(const FlagSwitch& flag, const std::string& value);

}  // namespace tenantshift::plan
