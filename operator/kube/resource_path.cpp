#include "kube/resource_path.h"

#include <cpprest/uri.h>

#include <stdexcept>

namespace tenantshift::kube {

namespace {

std::string encode(const std::string& text) {
  return web::uri::encode_data_string(text);
}

}  // namespace

std::string collectionPath(const ResourceType& type, const std::string& ns) {
  if (type.version.empty() || type.resource.empty()) {
    throw std::invalid_argument("resource type " + type.displayName() +
                                " needs a version and a resource name");
  }
  std::string path = type.group.empty()
                         ? "/api/" + encode(type.version)
                         : "/apis/" + encode(type.group) + "/" + encode(type.version);
  if (!ns.empty()) {
    if (!type.namespaced) {
      throw std::invalid_argument(type.displayName() + " is cluster-scoped: it has no namespace (" +
                                  ns + " given)");
    }
    path += "/namespaces/" + encode(ns);
  }
  return path + "/" + encode(type.resource);
}

std::string objectPath(const ResourceRef& ref) {
  if (ref.name.empty()) {
    throw std::invalid_argument(ref.displayName() + ": an object needs a name");
  }
  if (ref.type.namespaced && ref.ns.empty()) {
    throw std::invalid_argument(ref.displayName() + ": " + ref.type.displayName() +
                                " is namespaced: give the object's namespace");
  }
  std::string path = collectionPath(ref.type, ref.ns) + "/" + encode(ref.name);
  if (!ref.subresource.empty()) {
    path += "/" + encode(ref.subresource);
  }
  return path;
}

std::string pathOf(const ResourceRef& ref) {
  if (ref.name.empty()) {
    if (!ref.subresource.empty()) {
      throw std::invalid_argument(ref.displayName() + ": a subresource needs an object name");
    }
    return collectionPath(ref.type, ref.ns);
  }
  return objectPath(ref);
}

QueryParams& QueryParams::add(std::string key, std::string value) {
  params_.emplace_back(std::move(key), std::move(value));
  return *this;
}

QueryParams& QueryParams::addIfSet(std::string key, std::string value) {
  if (!value.empty()) {
    add(std::move(key), std::move(value));
  }
  return *this;
}

std::string QueryParams::toString() const {
  std::string query;
  for (const auto& [key, value] : params_) {
    query += query.empty() ? "?" : "&";
    query += encode(key) + "=" + encode(value);
  }
  return query;
}

}  // namespace tenantshift::kube
