#include "controller/operator_spec.h"

namespace tenantshift::controller {

namespace {

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) {
    return kNull;
  }
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string requiredString(const nlohmann::json& object, const char* key,
                           const std::string& field) {
  const nlohmann::json& value = member(object, key);
  if (!value.is_string() || value.get<std::string>().empty()) {
    throw OperatorSpecError(field + "." + key + ": required, a non-empty string");
  }
  return value.get<std::string>();
}

std::map<std::string, std::string> stringMap(const nlohmann::json& value,
                                             const std::string& field) {
  std::map<std::string, std::string> out;
  if (value.is_null()) {
    return out;
  }
  if (!value.is_object()) {
    throw OperatorSpecError(field + ": must be a map of strings");
  }
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string()) {
      throw OperatorSpecError(field + "." + key + ": must be a string");
    }
    out[key] = entry.get<std::string>();
  }
  return out;
}

JobTemplate parseJobTemplate(const nlohmann::json& value) {
  JobTemplate out;
  if (value.is_null()) {
    return out;
  }
  const std::string field = "spec.jobTemplate";
  if (const auto& account = member(value, "serviceAccountName"); account.is_string()) {
    out.serviceAccountName = account.get<std::string>();
  }
  out.resources = member(value, "resources");
  out.tolerations = member(value, "tolerations");
  out.nodeSelector = member(value, "nodeSelector");
  out.annotations = stringMap(member(value, "annotations"), field + ".annotations");
  out.labels = stringMap(member(value, "labels"), field + ".labels");
  if (const auto& deadline = member(value, "activeDeadlineSeconds"); !deadline.is_null()) {
    if (!deadline.is_number_integer() || deadline.get<std::int64_t>() < 1) {
      throw OperatorSpecError(field + ".activeDeadlineSeconds: must be a positive integer");
    }
    out.activeDeadlineSeconds = deadline.get<std::int64_t>();
  }
  if (const auto& limit = member(value, "backoffLimit"); !limit.is_null()) {
    if (!limit.is_number_integer() || limit.get<int>() < 0) {
      throw OperatorSpecError(field + ".backoffLimit: must be an integer >= 0");
    }
    out.backoffLimit = limit.get<int>();
  }
  return out;
}

}  // namespace

OperatorSpec parseOperatorSpec(const nlohmann::json& object) {
  const nlohmann::json& spec = member(object, "spec");
  OperatorSpec out;
  const nlohmann::json& ref = member(member(spec, "database"), "urlSecretRef");
  if (!ref.is_null()) {
    const std::string field = "spec.database.urlSecretRef";
    out.urlSecretRef =
        SecretKeyRef{requiredString(ref, "name", field), requiredString(ref, "key", field)};
  }
  out.paused = member(spec, "paused").is_boolean() && member(spec, "paused").get<bool>();
  out.requireApproval =
      member(spec, "requireApproval").is_boolean() && member(spec, "requireApproval").get<bool>();
  if (const auto& approved = member(spec, "approvedPlan"); approved.is_string()) {
    out.approvedPlan = approved.get<std::string>();
  }
  if (const auto& depends = member(spec, "dependsOn"); depends.is_array()) {
    for (std::size_t i = 0; i < depends.size(); ++i) {
      const auto& name = member(depends[i], "name");
      if (!name.is_string() || name.get<std::string>().empty()) {
        throw OperatorSpecError("spec.dependsOn[" + std::to_string(i) +
                                "].name: required, the name of a TenantMigration in the same "
                                "namespace");
      }
      if (name.get<std::string>() == member(member(object, "metadata"), "name")) {
        throw OperatorSpecError("spec.dependsOn[" + std::to_string(i) +
                                "].name: " + name.get<std::string>() +
                                " is this TenantMigration; it cannot wait for itself");
      }
      out.dependsOn.push_back(name.get<std::string>());
    }
  }
  out.jobTemplate = parseJobTemplate(member(spec, "jobTemplate"));
  const nlohmann::json& flag = member(spec, "featureFlag");
  out.kubernetesFeatureFlag =
      !member(flag, "configMap").is_null() || !member(flag, "deployment").is_null();
  return out;
}

}  // namespace tenantshift::controller
