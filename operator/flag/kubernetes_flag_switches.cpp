#include "flag/kubernetes_flag_switches.h"

#include <mutex>

#include "flag/config_map_flag_switch.h"
#include "flag/deployment_env_flag_switch.h"
#include "flag/flag_switch_error.h"
#include "kube/cpprest_kube_client.h"
#include "kube/kube_config_error.h"
#include "plan/flag_switch.h"

namespace tenantshift::flag {

namespace {

// The client, made from the request the first time a switch needs it.
class LazyClient {
 public:
  LazyClient(kube::ConfigRequest request, std::string migrationNamespace)
      : request_(std::move(request)), migrationNamespace_(std::move(migrationNamespace)) {}

  std::unique_ptr<FeatureFlagSwitch> make(const plan::FlagSwitch& flag) {
    kube::CpprestKubeClient& kubeClient = client(flag);
    const std::string& fallback =
        migrationNamespace_.empty() ? kubeClient.config().defaultNamespace : migrationNamespace_;
    return makeFlagSwitch(kubeClient, flag, fallback, kubeClient.config().source);
  }

 private:
  kube::CpprestKubeClient& client(const plan::FlagSwitch& flag) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!client_) {
      try {
        client_ = std::make_unique<kube::CpprestKubeClient>(kube::loadClusterConfig(request_));
      } catch (const kube::KubeConfigError& error) {
        throw FlagSwitchError(plan::flagSwitchSpecField(flag) +
                              " needs the Kubernetes API, and no usable configuration was "
                              "found: " +
                              error.what());
      }
    }
    return *client_;
  }

  kube::ConfigRequest request_;
  std::string migrationNamespace_;
  std::mutex mutex_;  // guards client_
  std::unique_ptr<kube::CpprestKubeClient> client_;
};

}  // namespace

FlagSwitchFactory kubernetesFlagSwitches(kube::ConfigRequest request,
                                         std::string migrationNamespace) {
  auto client = std::make_shared<LazyClient>(std::move(request), std::move(migrationNamespace));
  return [client](const plan::FlagSwitch& flag) { return client->make(flag); };
}

std::unique_ptr<FeatureFlagSwitch> makeFlagSwitch(kube::KubeClient& client,
                                                  const plan::FlagSwitch& flag,
                                                  const std::string& defaultNamespace,
                                                  const std::string& credentialsSource) {
  if (const auto* c = std::get_if<api::ConfigMapFeatureFlag>(&flag)) {
    return std::make_unique<ConfigMapFlagSwitch>(
        client, *c, c->ns.empty() ? defaultNamespace : c->ns, credentialsSource);
  }
  const auto& d = std::get<api::DeploymentFeatureFlag>(flag);
  return std::make_unique<DeploymentEnvFlagSwitch>(
      client, d, d.ns.empty() ? defaultNamespace : d.ns, credentialsSource);
}

}  // namespace tenantshift::flag
