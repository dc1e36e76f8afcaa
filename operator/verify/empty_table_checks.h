#pragma once

#include <string>

#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// The condition tenantshift's policies have in this mode (plan::permissiveCondition or
// plan::strictCondition), as pg_get_expr prints it for the relation's tenant column type.
struct ExpectedCondition {
  bool ran = false;
  std::string error;
  std::string text;
};

// "isolation" for a relation with no row to probe: Passed only when the permissive policies that
// apply to the app role are exactly tenantshift's four, each for its command, TO PUBLIC, with
// the expected condition in USING / WITH CHECK; else Failed ("isolation not proven").
CheckResult checkEmptyTable(const RelationFacts& relation, const std::string& specSchema,
                            const ExpectedCondition& expected, bool strict);

}  // namespace tenantshift::verify
