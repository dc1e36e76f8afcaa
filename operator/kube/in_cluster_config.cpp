#include "kube/in_cluster_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "kube/kube_config_error.h"
#include "kube/tls_material.h"

namespace tenantshift::kube {

namespace {

const char* const kSource = "in-cluster service account";

std::string requireVariable(const Environment& environment, const std::string& name) {
  std::optional<std::string> value = environment(name);
  if (!value) {
    throw KubeConfigError(kSource, name,
                          "not set: outside a pod give --kubeconfig or set KUBECONFIG");
  }
  return *value;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

bool runningInCluster(const Environment& environment) {
  return environment("KUBERNETES_SERVICE_HOST").has_value() &&
         environment("KUBERNETES_SERVICE_PORT").has_value();
}

ClusterConfig loadInClusterConfig(const Environment& environment, const InClusterPaths& paths,
                                  const std::shared_ptr<Clock>& clock) {
  const std::string host = requireVariable(environment, "KUBERNETES_SERVICE_HOST");
  const std::string port = requireVariable(environment, "KUBERNETES_SERVICE_PORT");
  if (port.find_first_not_of("0123456789") != std::string::npos) {
    throw KubeConfigError(kSource, "KUBERNETES_SERVICE_PORT", "\"" + port + "\" is not a port");
  }

  ClusterConfig config;
  // An IPv6 address goes in brackets.
  config.server =
      "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  config.source = kSource;

  std::ifstream ca(paths.caFile, std::ios::binary);
  if (!ca) {
    throw KubeConfigError(kSource, "ca.crt",
                          "cannot read " + paths.caFile.string() + ": " + std::strerror(errno) +
                              " (is the service account token mounted? check "
                              "automountServiceAccountToken)");
  }
  config.certificateAuthorityPem.assign(std::istreambuf_iterator<char>(ca), {});
  checkCertificatePem(config.certificateAuthorityPem, kSource, paths.caFile.string());

  auto token = std::make_shared<FileTokenSource>(paths.tokenFile, kSource, "token", clock);
  token->token();  // fails now if the token is not mounted
  config.token = std::move(token);

  std::ifstream ns(paths.namespaceFile, std::ios::binary);
  if (ns) {
    const std::string name = trim(std::string(std::istreambuf_iterator<char>(ns), {}));
    if (!name.empty()) {
      config.defaultNamespace = name;
    }
  }
  return config;
}

}  // namespace tenantshift::kube
