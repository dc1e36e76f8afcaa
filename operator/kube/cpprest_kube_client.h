#pragma once

#include <memory>

#include "kube/cluster_config.h"
#include "kube/kube_client.h"

namespace tenantshift::kube {

// KubeClient over HTTPS with cpprestsdk. TLS verification is always on: the cluster's CA (the
// only one trusted when configured) and the client certificate and key are loaded into each
// connection's boost::asio::ssl::context. The bearer token is taken from the TokenSource for
// every request; on a 401 the token is re-read and the request retried once. Ordinary requests
// use config.requestTimeout per read; a watch uses a client of its own whose timeout is longer
// than the watch's timeoutSeconds, so that a quiet watch ends by the server's timeout, not the
// client's. Safe to use from several threads at once.
class CpprestKubeClient final : public KubeClient {
 public:
  // Throws KubeConfigError when the TLS material cannot be loaded.
  explicit CpprestKubeClient(ClusterConfig config);
  ~CpprestKubeClient() override;
  CpprestKubeClient(const CpprestKubeClient&) = delete;
  CpprestKubeClient& operator=(const CpprestKubeClient&) = delete;

  const ClusterConfig& config() const;

  nlohmann::json get(const ResourceRef& ref) override;
  nlohmann::json list(const ResourceRef& collection, const ListOptions& options,
                      std::stop_token stop) override;
  WatchEnd watch(const ResourceRef& collection, const WatchOptions& options,
                 const WatchHandler& onEvent, std::stop_token stop) override;
  nlohmann::json create(const ResourceRef& target, const nlohmann::json& object,
                        const WriteOptions& options) override;
  nlohmann::json update(const ResourceRef& ref, const nlohmann::json& object,
                        const WriteOptions& options) override;
  nlohmann::json patch(const ResourceRef& ref, PatchType type, const nlohmann::json& body,
                       const PatchOptions& options) override;
  nlohmann::json remove(const ResourceRef& ref, const DeleteOptions& options) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantshift::kube
