#include "kube/config_loader.h"

#include <vector>

#include "kube/kube_config_error.h"
#include "kube/kubeconfig.h"

namespace tenantshift::kube {

namespace {

std::vector<std::filesystem::path> kubeconfigList(const std::string& value) {
  std::vector<std::filesystem::path> paths;
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t colon = value.find(':', start);
    const std::string item =
        value.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!item.empty()) {
      std::error_code error;
      if (std::filesystem::exists(item, error)) {
        paths.emplace_back(item);
      }
    }
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  return paths;
}

}  // namespace

ClusterConfig loadClusterConfig(const ConfigRequest& request) {
  if (request.kubeconfig) {
    return loadKubeconfig({*request.kubeconfig}, request.context, request.clock);
  }
  if (const auto variable = request.environment("KUBECONFIG")) {
    const auto paths = kubeconfigList(*variable);
    if (paths.empty()) {
      throw KubeConfigError(
          "KUBECONFIG", "",
          "none of its files exists (" + *variable + "): correct KUBECONFIG or give --kubeconfig");
    }
    return loadKubeconfig(paths, request.context, request.clock);
  }
  if (runningInCluster(request.environment)) {
    if (!request.context.empty()) {
      throw KubeConfigError("in-cluster service account", "--context",
                            "a context needs a kubeconfig: give --kubeconfig or set KUBECONFIG");
    }
    return loadInClusterConfig(request.environment, request.inClusterPaths, request.clock);
  }
  if (const auto home = request.environment("HOME")) {
    const std::filesystem::path path = std::filesystem::path(*home) / ".kube" / "config";
    std::error_code error;
    if (std::filesystem::exists(path, error)) {
      return loadKubeconfig({path}, request.context, request.clock);
    }
  }
  throw KubeConfigError("Kubernetes configuration", "",
                        "none found: give --kubeconfig PATH, set KUBECONFIG, or run in a pod with "
                        "a service account (KUBERNETES_SERVICE_HOST)");
}

}  // namespace tenantshift::kube
