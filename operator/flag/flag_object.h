#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/kube_client.h"
#include "kube/resource.h"

namespace tenantshift::flag {

// The one Kubernetes object a flag switch reads and patches (a ConfigMap, a Deployment). What
// the API server or the connection refuses comes back as a FlagSwitchError saying what to do:
// a missing object names the spec field to correct, a 403 the Role to grant (kube_access.h).
class FlagObject {
 public:
  // `kind` ("ConfigMap"), the spec field that names it ("spec.featureFlag.configMap"), the
  // verbs the switch needs on it, and where the client's credentials come from (for a refusal
  // that does not name the user).
  FlagObject(kube::KubeClient& client, kube::ResourceRef ref, std::string kind,
             std::string specField, std::vector<std::string> verbsNeeded,
             std::string credentialsSource);

  nlohmann::json get();
  // Throws PatchRefusedError when the API server finds the patch invalid (422: a `test`
  // operation failed, the object changed since it was read).
  nlohmann::json patch(kube::PatchType type, const nlohmann::json& body);

  // "Deployment shop/web"
  std::string describe() const;
  const kube::ResourceRef& ref() const { return ref_; }
  const std::string& specField() const { return specField_; }

 private:
  template <typename Call>
  nlohmann::json calling(const std::string& verb, Call&& call);

  kube::KubeClient& client_;
  kube::ResourceRef ref_;
  std::string kind_;
  std::string specField_;
  std::vector<std::string> verbsNeeded_;
  std::string credentialsSource_;
};

}  // namespace tenantshift::flag
