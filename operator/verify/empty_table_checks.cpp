#include "verify/empty_table_checks.h"

#include <algorithm>
#include <vector>

#include "api/joined.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"
#include "verify/rls_checks.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

char commandCode(const std::string& command) {
  if (command == "SELECT") {
    return 'r';
  }
  if (command == "INSERT") {
    return 'a';
  }
  if (command == "UPDATE") {
    return 'w';
  }
  return 'd';
}

}  // namespace

CheckResult checkEmptyTable(const RelationFacts& relation, const std::string& specSchema,
                            const ExpectedCondition& expected, bool strict) {
  const std::string name = relation.label(specSchema);
  const std::string intro = name + " has no row to probe, so its isolation rests on its policies";
  if (relation.kind == RelationKind::TenantsTable) {
    return result("isolation", name, CheckOutcome::Passed,
                  "the tenants table has no row: there is no tenant to expose");
  }
  if (!expected.ran) {
    return result(
        "isolation", name, CheckOutcome::Failed,
        "isolation not proven: " + intro +
            ", and the expected policy condition could not be computed: " + expected.error);
  }
  const std::string& text = expected.forMode(strict);
  std::vector<std::string> problems;
  for (const plan::PolicyKind& kind : plan::kPolicies) {
    auto policy = std::find_if(relation.policies.begin(), relation.policies.end(),
                               [&](const PolicyFacts& p) { return p.name == kind.name; });
    if (policy == relation.policies.end()) {
      problems.push_back(std::string(kind.name) + " is missing");
      continue;
    }
    const std::vector<std::string> publicOnly = {"public"};
    if (!policy->permissive || policy->command != commandCode(kind.command) ||
        policy->roles != publicOnly) {
      problems.push_back(std::string(kind.name) + " is not a permissive " + kind.command +
                         " policy TO PUBLIC");
    }
    if (kind.usingClause && !expected.admissible(policy->usingExpr, strict)) {
      problems.push_back(std::string(kind.name) + " USING (" + policy->usingExpr + ")");
    }
    if (!kind.usingClause && !policy->usingExpr.empty()) {
      problems.push_back(std::string(kind.name) + " has USING (" + policy->usingExpr + ")");
    }
    if (kind.checkClause && !expected.admissible(policy->checkExpr, strict)) {
      problems.push_back(std::string(kind.name) + " WITH CHECK (" + policy->checkExpr + ")");
    }
  }
  for (const PolicyFacts& policy : relation.policies) {
    if (policy.permissive && policy.appliesToApp && !isTenantshiftPolicy(policy.name)) {
      problems.push_back("another permissive policy " + quoteIdent(policy.name) +
                         " applies to the app role");
    }
  }
  if (problems.empty()) {
    return result("isolation", name, CheckOutcome::Passed,
                  intro + ", which are exactly tenantshift's (" +
                      (strict ? "strict" : "transition") + " form: " + text + ")");
  }
  return result("isolation", name, CheckOutcome::Failed,
                "isolation not proven: " + intro +
                    ", and they are not exactly tenantshift's: " + joined(problems, "; ") +
                    " (expected " + (strict ? "strict" : "transition") + " form: " + text +
                    "); run the rls phase (tenantshift run) to recreate them, or add rows and "
                    "verify again");
}

}  // namespace tenantshift::verify
