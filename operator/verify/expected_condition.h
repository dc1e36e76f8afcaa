#pragma once

#include <string>

namespace tenantshift::verify {

// The conditions the plan gives tenantshift's policies (plan::strictCondition and
// plan::permissiveCondition), as pg_get_expr prints them for one tenant column (name and type).
struct ExpectedCondition {
  bool ran = false;
  std::string error;  // could not be computed: why
  std::string strict;
  std::string permissive;

  // The condition a policy must have in this mode; a strict one is also right before the flag
  // (it admits fewer rows).
  const std::string& forMode(bool strictMode) const { return strictMode ? strict : permissive; }
  bool admissible(const std::string& expression, bool strictMode) const {
    return expression == strict || (!strictMode && expression == permissive);
  }
};

}  // namespace tenantshift::verify
