#pragma once

#include <string>
#include <vector>

#include "verify/expected_condition.h"
#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// tenantshift's own policies (tenantshift_select, _insert, _update, _delete).
bool isTenantshiftPolicy(const std::string& name);

// "tenantshift_select SELECT, open_read SELECT": the relation's policies for messages.
std::string describePolicies(const RelationFacts& relation);

// For one relation (tenant table, partition or the tenants table): table.exists,
// tenant-column.exists, rls.enabled, rls.forced, rls.policies (permissive policies applying to
// the app role cover SELECT, INSERT, UPDATE and DELETE) and rls.extra-policy for every other
// permissive policy applying to the app role (it is OR-ed with tenantshift's and can open the
// table) unless its expressions are tenantshift's condition (`expected`: the strict one, or
// before the flag the permissive one too), which admits no more than tenantshift's own.
std::vector<CheckResult> checkRowSecurity(const RelationFacts& relation,
                                          const std::string& specSchema,
                                          const ExpectedCondition& expected, bool strict);

}  // namespace tenantshift::verify
