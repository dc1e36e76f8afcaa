#pragma once

#include <functional>
#include <memory>
#include <string>

#include "flag/feature_flag_switch.h"
#include "kube/config_loader.h"
#include "kube/kube_client.h"
#include "plan/step.h"

namespace tenantshift::flag {

// Makes the switch of a flag step (plan::FlagSwitch); what the engine is given.
using FlagSwitchFactory =
    std::function<std::unique_ptr<FeatureFlagSwitch>(const plan::FlagSwitch&)>;

// The switches over the Kubernetes API, with one client made on first use (a migration with a
// SQL flag, or none, never needs a cluster) from `request`: a kubeconfig for the CLI, the pod's
// service account in the operator's Job. The namespace of the flag's object: the flag's own,
// else `migrationNamespace` (the TenantMigration's metadata.namespace), else the client's
// default (the kubeconfig context's namespace, or the pod's).
FlagSwitchFactory kubernetesFlagSwitches(kube::ConfigRequest request,
                                         std::string migrationNamespace);

// The same over a given client whose credentials come from `credentialsSource` (for messages)
// and whose default namespace is `defaultNamespace`.
std::unique_ptr<FeatureFlagSwitch> makeFlagSwitch(kube::KubeClient& client,
                                                  const plan::FlagSwitch& flag,
                                                  const std::string& defaultNamespace,
                                                  const std::string& credentialsSource);

}  // namespace tenantshift::flag
