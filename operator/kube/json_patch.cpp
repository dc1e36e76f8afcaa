#include "kube/json_patch.h"

namespace tenantshift::kube {

JsonPatch& JsonPatch::test(std::string path, nlohmann::json value) {
  operations_.push_back({{"op", "test"}, {"path", std::move(path)}, {"value", std::move(value)}});
  return *this;
}

JsonPatch& JsonPatch::add(std::string path, nlohmann::json value) {
  operations_.push_back({{"op", "add"}, {"path", std::move(path)}, {"value", std::move(value)}});
  return *this;
}

JsonPatch& JsonPatch::replace(std::string path, nlohmann::json value) {
  operations_.push_back(
      {{"op", "replace"}, {"path", std::move(path)}, {"value", std::move(value)}});
  return *this;
}

JsonPatch& JsonPatch::remove(std::string path) {
  operations_.push_back({{"op", "remove"}, {"path", std::move(path)}});
  return *this;
}

std::string jsonPointerSegment(std::string_view key) {
  std::string segment;
  segment.reserve(key.size());
  for (const char c : key) {
    if (c == '~') {
      segment += "~0";
    } else if (c == '/') {
      segment += "~1";
    } else {
      segment += c;
    }
  }
  return segment;
}

}  // namespace tenantshift::kube
