#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace tenantshift::controller {

// The member at `path` ({"metadata", "labels", "app"}) of an object as the API server serves it,
// or null when any step is missing or not an object: objects from the API are data, never
// trusted to have a shape.
const nlohmann::json& jsonAt(const nlohmann::json& object, std::initializer_list<const char*> path);

// The string `value` holds, or "" when it is not a string.
std::string jsonText(const nlohmann::json& value);

}  // namespace tenantshift::controller
