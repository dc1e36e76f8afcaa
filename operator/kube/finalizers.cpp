#include "kube/finalizers.h"

#include <algorithm>

#include "kube/resource.h"

namespace tenantshift::kube {

namespace {

const nlohmann::json* finalizersOf(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("metadata")) {
    return nullptr;
  }
  const nlohmann::json& metadata = object["metadata"];
  const auto list = metadata.find("finalizers");
  return list != metadata.end() && list->is_array() ? &*list : nullptr;
}

}  // namespace

bool hasFinalizer(const nlohmann::json& object, const std::string& finalizer) {
  const nlohmann::json* list = finalizersOf(object);
  return list != nullptr && std::find(list->begin(), list->end(), finalizer) != list->end();
}

std::optional<JsonPatch> addFinalizerPatch(const nlohmann::json& object,
                                           const std::string& finalizer) {
  if (hasFinalizer(object, finalizer)) {
    return std::nullopt;
  }
  JsonPatch patch;
  const nlohmann::json* list = finalizersOf(object);
  if (list == nullptr) {
    patch.test("/metadata/resourceVersion", resourceVersionOf(object))
        .add("/metadata/finalizers", nlohmann::json::array({finalizer}));
  } else {
    patch.test("/metadata/finalizers", *list).add("/metadata/finalizers/-", finalizer);
  }
  return patch;
}

std::optional<JsonPatch> removeFinalizerPatch(const nlohmann::json& object,
                                              const std::string& finalizer) {
  if (!hasFinalizer(object, finalizer)) {
    return std::nullopt;
  }
  const nlohmann::json& list = *finalizersOf(object);
  nlohmann::json remaining = nlohmann::json::array();
  for (const auto& item : list) {
    if (item != finalizer) {
      remaining.push_back(item);
    }
  }
  JsonPatch patch;
  patch.test("/metadata/finalizers", list).replace("/metadata/finalizers", remaining);
  return patch;
}

}  // namespace tenantshift::kube
