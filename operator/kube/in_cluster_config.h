#pragma once

#include <filesystem>
#include <memory>

#include "kube/clock.h"
#include "kube/cluster_config.h"
#include "kube/environment.h"

namespace tenantshift::kube {

// Where a pod's service account files are; tests point them elsewhere.
struct InClusterPaths {
  std::filesystem::path tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::filesystem::path caFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::filesystem::path namespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// True when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set (inside a pod).
bool runningInCluster(const Environment& environment);

// The API server from KUBERNETES_SERVICE_HOST/PORT, its CA from ca.crt, the namespace from the
// namespace file ("default" without one), and the token file, re-read every minute and after a
// 401 (bound service account tokens expire and the kubelet rotates the file). Throws
// KubeConfigError naming the variable or file that is missing or wrong.
ClusterConfig loadInClusterConfig(const Environment& environment, const InClusterPaths& paths,
                                  const std::shared_ptr<Clock>& clock);

}  // namespace tenantshift::kube
