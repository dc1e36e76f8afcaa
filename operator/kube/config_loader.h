#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "kube/clock.h"
#include "kube/cluster_config.h"
#include "kube/environment.h"
#include "kube/in_cluster_config.h"

namespace tenantshift::kube {

// What the command line and the environment say about the cluster.
struct ConfigRequest {
  std::optional<std::filesystem::path> kubeconfig;  // --kubeconfig PATH
  std::string context;                              // --context NAME ("" = current-context)
  Environment environment = processEnvironment();
  InClusterPaths inClusterPaths;
  std::shared_ptr<Clock> clock = std::make_shared<SteadyClock>();
};

// The cluster, from the first of: --kubeconfig; $KUBECONFIG (a ':'-separated list, merged
// like kubectl does; missing files are skipped); the in-cluster service account when
// KUBERNETES_SERVICE_HOST is set; $HOME/.kube/config. Throws KubeConfigError saying what to
// give when none applies.
ClusterConfig loadClusterConfig(const ConfigRequest& request);

}  // namespace tenantshift::kube
