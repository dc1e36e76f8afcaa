#include "verify/rls_checks.h"

#include <algorithm>
#include <array>
#include <utility>

#include "api/joined.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

std::string commandName(char command) {
  switch (command) {
    case 'r':
      return "SELECT";
    case 'a':
      return "INSERT";
    case 'w':
      return "UPDATE";
    case 'd':
      return "DELETE";
    default:
      return "ALL";
  }
}

std::string what(const RelationFacts& relation, const std::string& specSchema) {
  switch (relation.kind) {
    case RelationKind::TenantsTable:
      return "the tenants table " + relation.label(specSchema);
    case RelationKind::Partition:
      return "partition " + relation.label(specSchema) + " of " + relation.root;
    case RelationKind::TenantTable:
      break;
  }
  return "table " + relation.label(specSchema);
}

}  // namespace

bool isTenantshiftPolicy(const std::string& name) {
  return std::any_of(std::begin(plan::kPolicies), std::end(plan::kPolicies),
                     [&](const plan::PolicyKind& policy) { return name == policy.name; });
}

std::string describePolicies(const RelationFacts& relation) {
  std::vector<std::string> names;
  for (const PolicyFacts& policy : relation.policies) {
    names.push_back(quoteIdent(policy.name) + " " + commandName(policy.command) +
                    (policy.permissive ? "" : " RESTRICTIVE") +
                    (policy.appliesToApp ? "" : " (not for the app role)"));
  }
  return names.empty() ? std::string("none") : joined(names);
}

std::vector<CheckResult> checkRowSecurity(const RelationFacts& relation,
                                          const std::string& specSchema,
                                          const ExpectedCondition& expected, bool strict) {
  std::vector<CheckResult> out;
  const std::string name = relation.label(specSchema);
  const std::string subject = what(relation, specSchema);
  if (!relation.exists) {
    out.push_back(result(
        "table.exists", name, CheckOutcome::Failed,
        relation.kind == RelationKind::TenantsTable
            ? subject + " does not exist: run the schema phase (tenantshift run), or fix "
                        "spec.tenant.table"
            : subject + " does not exist: was it renamed or dropped since the plan was made? "
                        "Run `tenantshift plan` to see what the plan expects"));
    return out;
  }
  if (relation.detached) {
    out.push_back(result("table.attached", name, CheckOutcome::Warning,
                         subject + " is no longer attached to " + relation.root +
                             " but still holds its tenants' rows: it is checked like a "
                             "partition; drop it or attach it again"));
  }
  if (!relation.hasTenantColumn) {
    out.push_back(result("tenant-column.exists", name, CheckOutcome::Failed,
                         subject + " has no " + quoteIdent(relation.tenantColumn) +
                             " column: run the schema phase (tenantshift run)"));
  }
  out.push_back(
      relation.rowSecurity
          ? result("rls.enabled", name, CheckOutcome::Passed, "row-level security is enabled")
          : result("rls.enabled", name, CheckOutcome::Failed,
                   "row-level security is not enabled on " + subject +
                       ", so the app role sees and changes every row: ALTER TABLE " +
                       relation.qualified() + " ENABLE ROW LEVEL SECURITY (run the rls phase)"));
  out.push_back(
      relation.forceRowSecurity
          ? result("rls.forced", name, CheckOutcome::Passed, "row-level security is forced")
          : result("rls.forced", name, CheckOutcome::Failed,
                   "row-level security is not forced on " + subject + ", so its owner " +
                       quoteIdent(relation.owner) +
                       " (and views and functions running as the owner) bypass it: "
                       "ALTER TABLE " +
                       relation.qualified() + " FORCE ROW LEVEL SECURITY"));

  const std::array<std::pair<char, const char*>, 4> commands = {
      {{'r', "SELECT"}, {'a', "INSERT"}, {'w', "UPDATE"}, {'d', "DELETE"}}};
  std::vector<std::string> missing;
  for (const auto& [code, command] : commands) {
    const bool covered = std::any_of(
        relation.policies.begin(), relation.policies.end(), [code = code](const PolicyFacts& p) {
          return p.permissive && p.appliesToApp && (p.command == code || p.command == '*');
        });
    if (!covered) {
      missing.emplace_back(command);
    }
  }
  if (missing.empty()) {
    out.push_back(result("rls.policies", name, CheckOutcome::Passed,
                         "permissive policies for the app role cover SELECT, INSERT, UPDATE and "
                         "DELETE: " +
                             describePolicies(relation)));
  } else {
    out.push_back(result(
        "rls.policies", name, CheckOutcome::Failed,
        "no permissive policy applying to the app role covers " + joined(missing) + " on " +
            subject + " (policies: " + describePolicies(relation) +
            "), so the app role cannot use it once row-level security is on: run the rls phase, "
            "which creates tenantshift_select, tenantshift_insert, tenantshift_update and "
            "tenantshift_delete"));
  }
  for (const PolicyFacts& policy : relation.policies) {
    if (!policy.permissive || !policy.appliesToApp || isTenantshiftPolicy(policy.name)) {
      continue;
    }
    std::string expression = policy.usingExpr.empty() ? policy.checkExpr : policy.usingExpr;
    const bool harmless =
        expected.ran &&
        (policy.usingExpr.empty() || expected.admissible(policy.usingExpr, strict)) &&
        (policy.checkExpr.empty() || expected.admissible(policy.checkExpr, strict));
    if (harmless) {
      out.push_back(result("rls.extra-policy", name, CheckOutcome::Passed,
                           "permissive policy " + quoteIdent(policy.name) + " (" +
                               commandName(policy.command) +
                               ") has tenantshift's own condition, so it admits no other row"));
      continue;
    }
    out.push_back(result(
        "rls.extra-policy", name, CheckOutcome::Failed,
        "permissive policy " + quoteIdent(policy.name) + " (" + commandName(policy.command) +
            (expression.empty() ? "" : ", " + expression) + ") on " + subject +
            " applies to the app role and is OR-ed with tenantshift's, so any row it admits is "
            "visible or writable for every tenant: DROP POLICY " +
            quoteIdent(policy.name) + " ON " + relation.qualified() +
            ", or make it AS RESTRICTIVE, or limit it TO a role the application does not use"));
  }
  return out;
}

}  // namespace tenantshift::verify
