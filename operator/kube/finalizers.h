#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/json_patch.h"

namespace tenantshift::kube {

bool hasFinalizer(const nlohmann::json& object, const std::string& finalizer);

// The JSON patch that adds `finalizer` to the object as read, guarded by a `test` of the
// finalizer list as read (of metadata.resourceVersion when the object has no list yet): if
// anyone changed the list meanwhile the server refuses it with 422 and nothing is lost; read
// again and recompute. nullopt when the finalizer is there already.
std::optional<JsonPatch> addFinalizerPatch(const nlohmann::json& object,
                                           const std::string& finalizer);

// The guarded JSON patch that removes `finalizer` (every occurrence); nullopt when absent.
std::optional<JsonPatch> removeFinalizerPatch(const nlohmann::json& object,
                                              const std::string& finalizer);

}  // namespace tenantshift::kube
