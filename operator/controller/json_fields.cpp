#include "controller/json_fields.h"

namespace tenantshift::controller {

const nlohmann::json& jsonAt(const nlohmann::json& object,
                             std::initializer_list<const char*> path) {
  static const nlohmann::json kNull;
  const nlohmann::json* node = &object;
  for (const char* key : path) {
    if (!node->is_object()) {
      return kNull;
    }
    const auto member = node->find(key);
    if (member == node->end()) {
      return kNull;
    }
    node = &*member;
  }
  return *node;
}

std::string jsonText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : "";
}

}  // namespace tenantshift::controller
