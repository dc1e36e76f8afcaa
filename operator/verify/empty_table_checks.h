#pragma once

#include <string>

#include "verify/expected_condition.h"
#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// "isolation" for a relation with no row to probe: Passed only when the permissive policies that
// apply to the app role are exactly tenantshift's four, each for its command, TO PUBLIC, with
// the plan's condition in USING / WITH CHECK (the strict one, or before the flag the permissive
// one too); else Failed ("isolation not proven").
CheckResult checkEmptyTable(const RelationFacts& relation, const std::string& specSchema,
                            const ExpectedCondition& expected, bool strict);

}  // namespace tenantshift::verify
