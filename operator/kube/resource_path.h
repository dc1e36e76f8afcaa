#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kube/resource.h"

namespace tenantshift::kube {

// The URL path of a collection: /api/v1[/namespaces/NS]/RESOURCE for the core group,
// /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE otherwise. An empty ns of a namespaced type is
// the collection across all namespaces. Segments are percent-encoded.
std::string collectionPath(const ResourceType& type, const std::string& ns);

// The URL path of an object (and its subresource): the collection path, /NAME[/SUBRESOURCE].
// Throws std::invalid_argument when the name is empty, when a namespaced object has no
// namespace, or when a cluster-scoped object has one: mistakes of the caller, not of the server.
std::string objectPath(const ResourceRef& ref);

// The path of ref: objectPath when it names an object, collectionPath otherwise.
std::string pathOf(const ResourceRef& ref);

// A URL query in the order the parameters were added; keys and values are percent-encoded.
class QueryParams {
 public:
  QueryParams& add(std::string key, std::string value);
  // Adds the parameter only when value is not empty.
  QueryParams& addIfSet(std::string key, std::string value);
  bool empty() const { return params_.empty(); }
  // "?a=1&b=x%20y", or "" when there are no parameters.
  std::string toString() const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace tenantshift::kube
