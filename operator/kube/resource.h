#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tenantshift::kube {

// A kind of resource as the API server serves it: group ("" for the core group), version and
// the plural, lower-case resource name ("configmaps", "tenantmigrations"), and whether its
// objects live in a namespace.
struct ResourceType {
  std::string group;
  std::string version;
  std::string resource;
  bool namespaced = true;

  // "v1" for the core group, "group/version" otherwise: the apiVersion of its objects.
  std::string apiVersion() const;
  // "configmaps" or "tenantmigrations.tenantshift.dev": for messages and logs.
  std::string displayName() const;

  friend bool operator==(const ResourceType&, const ResourceType&) = default;
};

// One object (or one of its subresources, such as "status"), or a whole collection when name is
// empty. ns is empty for cluster-scoped resources, and for a collection across all namespaces.
struct ResourceRef {
  ResourceType type;
  std::string ns;
  std::string name;
  std::string subresource;

  // The same object's status subresource.
  ResourceRef status() const;
  // The object itself, without a subresource.
  ResourceRef object() const;
  // "namespace/name", or "name" for cluster-scoped objects: the key of the object cache.
  std::string key() const;
  // "configmaps default/settings" (plus "/status"): for messages and logs.
  std::string displayName() const;

  friend bool operator==(const ResourceRef&, const ResourceRef&) = default;
};

// "namespace/name", or "name" when the namespace is empty.
std::string objectKey(const std::string& ns, const std::string& name);
// The key of an object by its metadata.namespace and metadata.name (empty strings if missing).
std::string objectKey(const nlohmann::json& object);
// The reference to `object` (by its metadata) of the given type.
ResourceRef refTo(const ResourceType& type, const nlohmann::json& object);
// metadata.resourceVersion, or "" when the object has none.
std::string resourceVersionOf(const nlohmann::json& object);

// The resources the operator works with.
namespace resources {
ResourceType namespaces();
ResourceType configMaps();
ResourceType secrets();
ResourceType serviceAccounts();
ResourceType pods();
ResourceType events();
ResourceType jobs();
ResourceType deployments();
ResourceType leases();
ResourceType roles();
ResourceType roleBindings();
ResourceType customResourceDefinitions();
ResourceType tenantMigrations();
}  // namespace resources

}  // namespace tenantshift::kube
