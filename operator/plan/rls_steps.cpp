#include "plan/rls_steps.h"

#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"

namespace tenantshift::plan {

namespace {

std::string policyClauses(const PolicyKind& policy, const std::string& condition) {
  std::string out;
  if (policy.usingClause) {
    out += " USING (" + condition + ")";
  }
  if (policy.checkClause) {
    out += " WITH CHECK (" + condition + ")";
  }
  return out;
}

// ALTER POLICY for the four policies of every table, to `condition`.
std::vector<Statement> alterPolicies(const PlanContext& ctx, const std::string& condition) {
  std::vector<Statement> out;
  for (const auto& table : policyTables(ctx)) {
    for (const auto& policy : kPolicies) {
      out.push_back(statement("ALTER POLICY " + quoteIdent(policy.name) + " ON " +
                              ctx.qualifiedName(table) + policyClauses(policy, condition)));
    }
  }
  return out;
}

Statement dropPolicy(const PolicyKind& policy, const std::string& table) {
  return statement("DROP POLICY IF EXISTS " + quoteIdent(policy.name) + " ON " + table);
}

Statement createPolicy(const PolicyKind& policy, const std::string& table,
                       const std::string& condition) {
  return statement("CREATE POLICY " + quoteIdent(policy.name) + " ON " + table + " FOR " +
                   policy.command + " TO PUBLIC" + policyClauses(policy, condition));
}

const Table* catalogTable(const PlanContext& ctx, const std::string& name) {
  return ctx.catalog.findTable(name);
}

}  // namespace

std::vector<std::string> policyTables(const PlanContext& ctx) {
  std::vector<std::string> out;
  for (const auto& pt : ctx.tables) {
    out.push_back(pt.name());
    for (const Table* partition : pt.partitions) {
      out.push_back(partition->name);
    }
  }
  return out;
}

std::string permissiveCondition(const PlanContext& ctx) {
  return ctx.sessionTenant() + " IS NULL OR " + ctx.column() + " = " + ctx.sessionTenant();
}

std::string strictCondition(const PlanContext& ctx) {
  return ctx.column() + " = " + ctx.sessionTenant();
}

void addRlsSteps(const PlanContext& ctx, std::vector<Step>& steps) {
  for (const auto& name : policyTables(ctx)) {
    const std::string table = ctx.qualifiedName(name);
    const Table* before = catalogTable(ctx, name);

    // Policies first, RLS second: a table with RLS enabled and no policy denies every row, so
    // the application must never see the state between the two (nor after a kill between them).
    Step policies =
        newStep(Phase::Rls, "rls/policies/" + name, name,
                "create the tenant policies on " + name +
                    " (transition form: no tenant set sees every row, a tenant set sees "
                    "only its rows); they take effect when RLS is enabled next");
    for (const auto& policy : kPolicies) {
      policies.up.push_back(dropPolicy(policy, table));
      policies.up.push_back(createPolicy(policy, table, permissiveCondition(ctx)));
      policies.down.push_back(dropPolicy(policy, table));
    }
    policies.lock = LockLevel::AccessExclusive;
    steps.push_back(policies);

    Step enable =
        newStep(Phase::Rls, "rls/enable/" + name, name,
                "enable and force row-level security on " + name + " (the owner is filtered too)");
    enable.up.push_back(statement("ALTER TABLE " + table + " ENABLE ROW LEVEL SECURITY"));
    enable.up.push_back(statement("ALTER TABLE " + table + " FORCE ROW LEVEL SECURITY"));
    // Undo only what the migration changed.
    if (before == nullptr || !before->forceRowSecurity) {
      enable.down.push_back(statement("ALTER TABLE " + table + " NO FORCE ROW LEVEL SECURITY"));
    }
    if (before == nullptr || !before->rowSecurity) {
      enable.down.push_back(statement("ALTER TABLE " + table + " DISABLE ROW LEVEL SECURITY"));
    }
    enable.lock = LockLevel::AccessExclusive;
    steps.push_back(enable);
  }
}

void addVerifyAndFlagSteps(const PlanContext& ctx, std::vector<Step>& steps) {
  Step verify;
  verify.id = "verify/isolation";
  verify.phase = Phase::Verify;
  verify.execution = Execution::Verify;
  verify.summary = "prove tenant isolation for every table as " + ctx.spec.database.appRole;
  steps.push_back(verify);

  if (ctx.spec.featureFlag.sql) {
    Step flag = newStep(Phase::Flag, "flag/on", "",
                        "turn the application's feature flag on (spec.featureFlag.sql.on)");
    flag.up.push_back(statement(ctx.spec.featureFlag.sql->on));
    if (!ctx.spec.featureFlag.sql->off.empty()) {
      flag.down.push_back(statement(ctx.spec.featureFlag.sql->off));
    }
    flag.lock = LockLevel::RowExclusive;
    steps.push_back(flag);
  }

  Step enforce = newStep(Phase::Flag, "flag/enforce", "",
                         "enforce tenant isolation: without a tenant set no row is visible or "
                         "writable");
  enforce.up = alterPolicies(ctx, strictCondition(ctx));
  enforce.down = alterPolicies(ctx, permissiveCondition(ctx));
  enforce.lock = LockLevel::AccessExclusive;
  steps.push_back(enforce);
}

}  // namespace tenantshift::plan
