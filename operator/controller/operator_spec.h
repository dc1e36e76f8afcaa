#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tenantshift::controller {

// A spec the API server accepted but the operator cannot act on: the message names the field
// ("spec.database.urlSecretRef.key: required") and says what is wrong.
class OperatorSpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// spec.database.urlSecretRef: where the database URL is (never a literal password in the CR).
struct SecretKeyRef {
  std::string name;
  std::string key;
};

// spec.jobTemplate: what the platform wants on every phase Job's pod.
struct JobTemplate {
  std::string serviceAccountName;
  nlohmann::json resources;     // a core/v1 ResourceRequirements, or null
  nlohmann::json tolerations;   // a list, or null
  nlohmann::json nodeSelector;  // a map, or null
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> labels;
  std::int64_t activeDeadlineSeconds = std::int64_t{6} * 3600;
  int backoffLimit = 3;
};

// The fields of a TenantMigration only the operator reads; the engine's own spec (what
// `tenantshift run -f` reads) is the rest, see engine_manifest.h.
struct OperatorSpec {
  std::optional<SecretKeyRef> urlSecretRef;
  bool paused = false;
  bool requireApproval = false;
  std::string approvedPlan;
  std::vector<std::string> dependsOn;  // names of TenantMigrations in the same namespace
  JobTemplate jobTemplate;
  // spec.featureFlag.configMap or .deployment: the flag phase's pod talks to the API server with
  // its service account (whose token is mounted in that pod only).
  bool kubernetesFeatureFlag = false;
};

// Reads the operator's fields of a TenantMigration object (its JSON as the API server serves
// it). Throws OperatorSpecError naming the field.
OperatorSpec parseOperatorSpec(const nlohmann::json& object);

}  // namespace tenantshift::controller
