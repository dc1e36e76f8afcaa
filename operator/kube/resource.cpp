#include "kube/resource.h"

namespace tenantshift::kube {

namespace {

std::string stringAt(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) {
    return {};
  }
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  const auto value = metadata->find(field);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : "";
}

}  // namespace

std::string ResourceType::apiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::displayName() const {
  return group.empty() ? resource : resource + "." + group;
}

ResourceRef ResourceRef::status() const {
  ResourceRef ref = *this;
  ref.subresource = "status";
  return ref;
}

ResourceRef ResourceRef::object() const {
  ResourceRef ref = *this;
  ref.subresource.clear();
  return ref;
}

std::string ResourceRef::key() const {
  return objectKey(ns, name);
}

std::string ResourceRef::displayName() const {
  std::string text = type.displayName();
  if (!ns.empty() || !name.empty()) {
    text += " " + (name.empty() ? "namespace " + ns : key());
  }
  if (!subresource.empty()) {
    text += "/" + subresource;
  }
  return text;
}

std::string objectKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

std::string objectKey(const nlohmann::json& object) {
  return objectKey(stringAt(object, "namespace"), stringAt(object, "name"));
}

ResourceRef refTo(const ResourceType& type, const nlohmann::json& object) {
  return ResourceRef{type, type.namespaced ? stringAt(object, "namespace") : "",
                     stringAt(object, "name"), ""};
}

std::string resourceVersionOf(const nlohmann::json& object) {
  return stringAt(object, "resourceVersion");
}

namespace resources {
ResourceType namespaces() {
  return {"", "v1", "namespaces", false};
}
ResourceType configMaps() {
  return {"", "v1", "configmaps", true};
}
ResourceType secrets() {
  return {"", "v1", "secrets", true};
}
ResourceType serviceAccounts() {
  return {"", "v1", "serviceaccounts", true};
}
ResourceType pods() {
  return {"", "v1", "pods", true};
}
ResourceType events() {
  return {"", "v1", "events", true};
}
ResourceType jobs() {
  return {"batch", "v1", "jobs", true};
}
ResourceType deployments() {
  return {"apps", "v1", "deployments", true};
}
ResourceType leases() {
  return {"coordination.k8s.io", "v1", "leases", true};
}
ResourceType roles() {
  return {"rbac.authorization.k8s.io", "v1", "roles", true};
}
ResourceType roleBindings() {
  return {"rbac.authorization.k8s.io", "v1", "rolebindings", true};
}
ResourceType customResourceDefinitions() {
  return {"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
}
ResourceType tenantMigrations() {
  return {"tenantshift.dev", "v1alpha1", "tenantmigrations", true};
}
}  // namespace resources

}  // namespace tenantshift::kube
