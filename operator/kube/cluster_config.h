#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "kube/token_source.h"

namespace tenantshift::kube {

// Everything the client needs to reach and authenticate to one API server, from a kubeconfig
// or the in-cluster service account (see config_loader.h).
struct ClusterConfig {
  std::string server;                   // "https://host:port" (https only)
  std::string certificateAuthorityPem;  // trusted for the server; empty: the system's CAs
  std::string clientCertificatePem;     // with clientKeyPem: a client certificate (mTLS)
  std::string clientKeyPem;
  std::shared_ptr<TokenSource> token;  // null: no bearer token
  std::string defaultNamespace = "default";
  // Where this came from, for messages: "kubeconfig /root/.kube/config, context e2e".
  std::string source;
  // Per read of a response (cpprestsdk's timeout); a watch uses its own, longer one.
  std::chrono::seconds requestTimeout{30};
  std::string userAgent = "tenantshift";
};

}  // namespace tenantshift::kube
