#pragma once

// A KubeClient that keeps objects by namespace/name and applies patches as the API server does
// (merge patches; JSON patches with their `test` operations, refused with 422 when one fails),
// for the feature-flag switches' tests. Scripted hooks stand for the Deployment controller
// (what each GET shows) and for another writer or a refusal (what happens before a patch).

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kube/kube_client.h"
#include "kube/kube_error.h"

namespace tenantshift::flag::testing {

class FakeCluster final : public kube::KubeClient {
 public:
  std::map<std::string, nlohmann::json> objects;  // by "namespace/name"
  // Runs before each GET (e.g. the Deployment controller moving the rollout on).
  std::function<void(nlohmann::json& object)> beforeGet;
  // Runs before each PATCH; may throw (a refusal) or change the object (another writer).
  std::function<void(nlohmann::json& object)> beforePatch;
  std::vector<nlohmann::json> patches;  // the bodies of the patches that were applied
  int gets = 0;

  nlohmann::json get(const kube::ResourceRef& ref) override {
    ++gets;
    nlohmann::json& object = find("GET", ref);
    if (beforeGet) {
      beforeGet(object);
    }
    return object;
  }

  nlohmann::json patch(const kube::ResourceRef& ref, kube::PatchType type,
                       const nlohmann::json& body, const kube::PatchOptions&) override {
    nlohmann::json& object = find("PATCH", ref);
    if (beforePatch) {
      beforePatch(object);
    }
    if (type == kube::PatchType::Merge) {
      object.merge_patch(body);
    } else {
      try {
        object = object.patch(body);
      } catch (const nlohmann::json::exception& error) {
        throw kube::KubeError("PATCH", ref.key(), 422, "Invalid", error.what());
      }
    }
    if (ref.type.resource == "deployments") {
      object["metadata"]["generation"] = object["metadata"].value("generation", 1) + 1;
    }
    patches.push_back(body);
    return object;
  }

  nlohmann::json list(const kube::ResourceRef&, const kube::ListOptions&,
                      std::stop_token) override {
    return unused("list");
  }
  kube::WatchEnd watch(const kube::ResourceRef&, const kube::WatchOptions&,
                       const kube::WatchHandler&, std::stop_token) override {
    unused("watch");
    return kube::WatchEnd::Closed;
  }
  nlohmann::json create(const kube::ResourceRef&, const nlohmann::json&,
                        const kube::WriteOptions&) override {
    return unused("create");
  }
  nlohmann::json update(const kube::ResourceRef&, const nlohmann::json&,
                        const kube::WriteOptions&) override {
    return unused("update");
  }
  nlohmann::json remove(const kube::ResourceRef&, const kube::DeleteOptions&) override {
    return unused("remove");
  }

 private:
  nlohmann::json& find(const std::string& verb, const kube::ResourceRef& ref) {
    const auto found = objects.find(ref.key());
    if (found == objects.end()) {
      throw kube::KubeError(verb, ref.key(), 404, "NotFound",
                            ref.type.resource + " \"" + ref.name + "\" not found");
    }
    return found->second;
  }

  static nlohmann::json unused(const std::string& verb) {
    throw std::logic_error("a feature flag switch does not " + verb);
  }
};

// A Deployment of `replicas` pods whose container `api` (and a sidecar before it) has `env`,
// rolled out.
inline nlohmann::json deployment(nlohmann::json env, int replicas = 2) {
  nlohmann::json api = {{"name", "api"}, {"image", "registry.example/api:1"}};
  if (!env.is_null()) {
    api["env"] = std::move(env);
  }
  const nlohmann::json sidecar = {{"name", "sidecar"}, {"image", "registry.example/proxy:1"}};
  nlohmann::json object;
  object["apiVersion"] = "apps/v1";
  object["kind"] = "Deployment";
  object["metadata"] = {{"namespace", "shop"}, {"name", "web"}, {"generation", 1}};
  object["spec"]["replicas"] = replicas;
  object["spec"]["template"]["spec"]["containers"] = nlohmann::json::array({sidecar, api});
  object["status"] = {{"observedGeneration", 1},
                      {"replicas", replicas},
                      {"updatedReplicas", replicas},
                      {"availableReplicas", replicas}};
  return object;
}

}  // namespace tenantshift::flag::testing
