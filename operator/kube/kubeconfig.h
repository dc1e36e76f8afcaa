#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kube/clock.h"
#include "kube/cluster_config.h"

namespace tenantshift::kube {

// One kubeconfig file's text and where it was read from (relative paths in it are resolved
// against that file's directory).
struct KubeconfigFile {
  std::filesystem::path path;
  std::string text;
};

// The context chosen from one or more kubeconfig files, with the fields of its cluster and user
// as written (data fields base64-decoded, file paths made absolute). No file is read.
struct KubeconfigSelection {
  std::string contextName;
  std::string clusterName;
  std::string userName;
  std::string ns;  // the context's namespace, "" when not set
  std::string server;
  std::string certificateAuthorityData;  // PEM
  std::filesystem::path certificateAuthorityFile;
  std::string token;
  std::filesystem::path tokenFile;
  std::string clientCertificateData;  // PEM
  std::filesystem::path clientCertificateFile;
  std::string clientKeyData;  // PEM
  std::filesystem::path clientKeyFile;
  // "kubeconfig PATH" of the file that defined the cluster and the user, for messages.
  std::string clusterSource;
  std::string userSource;
};

// Chooses `context` (or the current-context when empty) from the files, merged as kubectl merges
// $KUBECONFIG: for each cluster, user and context name the first file that defines it wins, and
// the first current-context set wins. Throws KubeConfigError naming the file and field for what
// the client cannot honour: insecure-skip-tls-verify (TLS verification is never disabled), a
// server that is not https, exec and auth-provider plugins, basic auth, tls-server-name, a
// proxy-url, a client certificate without its key, invalid base64, or a missing context,
// cluster or user.
KubeconfigSelection selectKubeconfigContext(const std::vector<KubeconfigFile>& files,
                                            const std::string& context);

// Reads the files the selection names (CA, client certificate and key) and checks the PEM
// material; a tokenFile becomes a FileTokenSource re-read every minute and after a 401.
ClusterConfig clusterConfigFrom(const KubeconfigSelection& selection,
                                const std::shared_ptr<Clock>& clock);

// Reads and parses the kubeconfig files and chooses the context: the two steps above.
ClusterConfig loadKubeconfig(const std::vector<std::filesystem::path>& paths,
                             const std::string& context, const std::shared_ptr<Clock>& clock);

}  // namespace tenantshift::kube
