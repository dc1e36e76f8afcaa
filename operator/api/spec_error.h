#pragma once

#include <stdexcept>
#include <string>

namespace tenantshift::api {

// A problem with the user's TenantMigration: names the field (a path such as
// "spec.tables[1].from.parent") and what is wrong with it. Raised before anything is changed.
class SpecError : public std::runtime_error {
 public:
  SpecError(std::string field, const std::string& problem)
      : std::runtime_error(field + ": " + problem), field_(std::move(field)) {}

  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

}  // namespace tenantshift::api
