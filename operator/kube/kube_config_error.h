#pragma once

#include <stdexcept>
#include <string>

namespace tenantshift::kube {

// The client cannot be configured: names where the setting came from (a kubeconfig file, the
// in-cluster service account), the field, and what is wrong with it.
class KubeConfigError : public std::runtime_error {
 public:
  KubeConfigError(const std::string& source, std::string field, const std::string& problem)
      : std::runtime_error(source + (field.empty() ? "" : ": " + field) + ": " + problem),
        field_(std::move(field)) {}

  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

}  // namespace tenantshift::kube
