#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tenantshift::kube {

// An RFC 6902 JSON patch (PatchType::Json), built operation by operation. A `test` operation
// makes the API server refuse the whole patch (422) when the value at its path differs: the
// guard for edits of lists that others edit too, such as metadata.finalizers.
class JsonPatch {
 public:
  JsonPatch& test(std::string path, nlohmann::json value);
  JsonPatch& add(std::string path, nlohmann::json value);
  JsonPatch& replace(std::string path, nlohmann::json value);
  JsonPatch& remove(std::string path);

  const nlohmann::json& operations() const { return operations_; }
  bool empty() const { return operations_.empty(); }

 private:
  nlohmann::json operations_ = nlohmann::json::array();
};

// A map key as one JSON Pointer segment (RFC 6901): "~" -> "~0", "/" -> "~1", so that
// "tenantshift.dev/phase" can be addressed under /metadata/annotations/.
std::string jsonPointerSegment(std::string_view key);

}  // namespace tenantshift::kube
