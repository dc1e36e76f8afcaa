#include "plan/rls_steps.h"

#include "plan/catalog_checks.h"
#include "plan/exposure_steps.h"
#include "plan/index_rewrite_steps.h"
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

// ALTER POLICY for the four policies of every table and of the tenants table, to the strict or
// the transition form.
std::vector<Statement> alterPolicies(const PlanContext& ctx, bool strict) {
  std::vector<Statement> out;
  auto alter = [&](const std::string& table, const std::string& column) {
    const std::string condition =
        strict ? strictCondition(ctx, column) : permissiveCondition(ctx, column);
    for (const auto& policy : kPolicies) {
      out.push_back(statement("ALTER POLICY " + quoteIdent(policy.name) + " ON " +
                              ctx.qualifiedName(table) + policyClauses(policy, condition)));
    }
  };
  for (const auto& table : policyTables(ctx)) {
    alter(table, ctx.spec.tenant.column);
  }
  alter(ctx.tenants.name, ctx.tenants.idColumn);
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

std::string permissiveCondition(const PlanContext& ctx, const std::string& column) {
  return ctx.sessionTenant() + " IS NULL OR " + quoteIdent(column) + " = " + ctx.sessionTenant();
}

std::string strictCondition(const PlanContext& ctx, const std::string& column) {
  return quoteIdent(column) + " = " + ctx.sessionTenant();
}

std::string permissiveCondition(const PlanContext& ctx) {
  return permissiveCondition(ctx, ctx.spec.tenant.column);
}

std::string strictCondition(const PlanContext& ctx) {
  return strictCondition(ctx, ctx.spec.tenant.column);
}

void addRlsSteps(PlanContext& ctx, std::vector<Step>& steps) {
  std::vector<std::pair<std::string, std::string>> tables;  // table, its tenant column
  for (const auto& name : policyTables(ctx)) {
    tables.emplace_back(name, ctx.spec.tenant.column);
  }
  // The tenants table too: each tenant sees only its own row once the policies are strict.
  tables.emplace_back(ctx.tenants.name, ctx.tenants.idColumn);
  for (const auto& [name, column] : tables) {
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
      policies.up.push_back(createPolicy(policy, table, permissiveCondition(ctx, column)));
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
  addExposureSteps(ctx, steps);
}

void addVerifyAndFlagSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                           const std::vector<IndexReplacement>& replacements,
                           std::vector<Step>& steps) {
  Step verify;
  verify.id = "verify/isolation";
  verify.phase = Phase::Verify;
  verify.execution = Execution::Verify;
  verify.summary = "prove tenant isolation for every table as " + ctx.spec.database.appRole;
  steps.push_back(verify);

  if (ctx.spec.featureFlag.sql) {
    Step flag = newStep(Phase::Flag, "flag/on", "",
                        "turn the application's feature flag on (spec.featureFlag.sql.on)");
    // The spec's SQL names the application's tables as the application does: it runs with
    // the schema on the search_path, after pg_catalog (tenantshift's own SQL has only
    // pg_catalog: db::connect).
    const Statement schemaOnPath =
        statement("SELECT pg_catalog.set_config('search_path', $1, true)",
                  {"pg_catalog, " + quoteIdent(ctx.spec.database.schema)});
    flag.up.push_back(schemaOnPath);
    flag.up.push_back(statement(ctx.spec.featureFlag.sql->on));
    if (!ctx.spec.featureFlag.sql->off.empty()) {
      flag.down.push_back(schemaOnPath);
      flag.down.push_back(statement(ctx.spec.featureFlag.sql->off));
    }
    flag.lock = LockLevel::RowExclusive;
    steps.push_back(flag);
  }

  Step enforce = newStep(Phase::Flag, "flag/enforce", "",
                         "enforce tenant isolation: without a tenant set no row is visible or "
                         "writable");
  enforce.up = alterPolicies(ctx, true);
  enforce.down = alterPolicies(ctx, false);
  enforce.lock = LockLevel::AccessExclusive;
  steps.push_back(enforce);
  addTenantFkFlagSteps(ctx, tenantFks, steps);
  addIndexRewriteFinalize(ctx, replacements, steps);
}

}  // namespace tenantshift::plan
