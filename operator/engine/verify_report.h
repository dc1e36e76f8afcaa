#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tenantshift::engine {

enum class CheckOutcome { Passed, Failed, Warning };

struct CheckResult {
  std::string check;  // e.g. "isolation.select", "role.not-superuser", "unique.includes-tenant"
  std::string table;  // empty when not about one table
  CheckOutcome outcome = CheckOutcome::Passed;
  std::string detail;  // what was seen, for people
};

struct VerifyReport {
  std::vector<CheckResult> checks;

  bool passed() const;  // no check Failed
  std::size_t count(CheckOutcome outcome) const;
  nlohmann::json toJson() const;
};

}  // namespace tenantshift::engine
