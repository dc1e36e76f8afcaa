#pragma once

// Support for the kube client's e2e tests: the real API server started by tests/e2e/cluster/up.sh
// (E2E_STATE_DIR), a client for its admin kubeconfig, a namespace per test, YAML manifests as
// JSON, and bounded waits on what informers and watches report.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/cpprest_kube_client.h"
#include "kube/informer.h"

namespace tenantshift::kube::e2e {

std::filesystem::path stateDir();
// A variable of STATE/env (written by up.sh), e.g. E2E_API_SERVER.
std::string planeVariable(const std::string& name);
std::string readFile(const std::filesystem::path& path);
// Parses YAML (one document) into JSON the way the API server reads it: quoted scalars stay
// strings, plain ones become booleans, numbers or null when they look like one.
nlohmann::json yamlToJson(const std::string& yaml);

// The client for the admin kubeconfig (a client certificate in system:masters).
std::unique_ptr<CpprestKubeClient> adminClient();

// Waits until the CRD's Established condition is True, watching it (at most a minute).
void awaitEstablished(KubeClient& client, const std::string& crdName);

// A token for the service account from the TokenRequest API.
std::string requestToken(KubeClient& client, const std::string& ns, const std::string& account);

// Each test gets a namespace of its own (a random suffix, so that reruns never wait for a
// namespace that is still terminating), deleted afterwards.
class KubeE2E : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  ResourceRef configMap(const std::string& name) const {
    return {resources::configMaps(), ns_, name, ""};
  }
  ResourceRef configMaps() const { return {resources::configMaps(), ns_, "", ""}; }
  nlohmann::json newConfigMap(const std::string& name, nlohmann::json data,
                              nlohmann::json labels = nlohmann::json::object()) const;

  std::unique_ptr<CpprestKubeClient> admin_;
  std::string ns_;
};

// Collects an informer's notifications and lets a test wait (bounded) for one to arrive.
class EventLog final : public InformerListener {
 public:
  void onAdd(const nlohmann::json& object) override;
  void onUpdate(const nlohmann::json& before, const nlohmann::json& after) override;
  void onDelete(const nlohmann::json& object) override;

  // Waits until an entry equal to `entry` ("add ns/name", "update ns/name", "delete ns/name")
  // has been logged, at most `timeout`.
  bool awaitEntry(const std::string& entry,
                  std::chrono::seconds timeout = std::chrono::seconds(60));
  std::vector<std::string> entries() const;

 private:
  void append(std::string entry);
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> entries_;
};

// A KubeClient that passes every call on to the real one and counts lists and watches (and can
// make the first watch start from a resourceVersion of the test's choosing).
class CountingClient final : public KubeClient {
 public:
  explicit CountingClient(KubeClient& inner) : inner_(inner) {}

  nlohmann::json get(const ResourceRef& ref) override { return inner_.get(ref); }
  nlohmann::json list(const ResourceRef& collection, const ListOptions& options,
                      std::stop_token stop) override;
  WatchEnd watch(const ResourceRef& collection, const WatchOptions& options,
                 const WatchHandler& onEvent, std::stop_token stop) override;
  nlohmann::json create(const ResourceRef& target, const nlohmann::json& object,
                        const WriteOptions& options) override {
    return inner_.create(target, object, options);
  }
  nlohmann::json update(const ResourceRef& ref, const nlohmann::json& object,
                        const WriteOptions& options) override {
    return inner_.update(ref, object, options);
  }
  nlohmann::json patch(const ResourceRef& ref, PatchType type, const nlohmann::json& body,
                       const PatchOptions& options) override {
    return inner_.patch(ref, type, body, options);
  }
  nlohmann::json remove(const ResourceRef& ref, const DeleteOptions& options) override {
    return inner_.remove(ref, options);
  }

  // The first watch asks for this resourceVersion instead of the reflector's.
  void firstWatchFrom(std::string resourceVersion);
  // Waits until at least `count` watches have started, at most `timeout`.
  bool awaitWatches(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds(60));
  std::size_t lists() const;
  std::vector<WatchOptions> watches() const;
  // How each finished watch ended: "closed", "stopped", or the error's what().
  std::vector<std::string> watchEnds() const;

 private:
  KubeClient& inner_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t lists_ = 0;
  std::vector<WatchOptions> watches_;
  std::vector<std::string> watchEnds_;
  std::string firstWatchFrom_;
};

}  // namespace tenantshift::kube::e2e
