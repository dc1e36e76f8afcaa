#include "plan/planner.h"

#include "plan/backfill_steps.h"
#include "plan/constraint_steps.h"
#include "plan/data_loss_checks.h"
#include "plan/rls_steps.h"
#include "plan/schema_steps.h"
#include "plan/table_selection.h"
#include "plan/tenant_source_resolver.h"

namespace tenantshift::plan {

Plan buildPlan(const api::MigrationSpec& spec, const Catalog& catalog) {
  PlanContext ctx{spec, catalog, spec.database.schema, api::sqlTypeName(spec.tenant.idType), {},
                  {},   {}};
  selectTables(ctx);
  resolveTenantSources(ctx);

  Plan plan;
  for (const auto& pt : ctx.tables) {
    plan.decisions.push_back(
        TableDecision{pt.name(), pt.source, pt.reason, pt.existingColumn != nullptr});
  }
  addSchemaSteps(ctx, plan.steps);
  addBackfillSteps(ctx, plan.steps);
  addConstraintSteps(ctx, plan.steps);
  addRlsSteps(ctx, plan.steps);
  addVerifyAndFlagSteps(ctx, plan.steps);
  for (const auto& pt : ctx.tables) {
    if (pt.table->partitioned) {
      ctx.notes.push_back("partitioned table '" + pt.name() +
                          "': the tenant foreign key and policies are added to each existing "
                          "partition; partitions created later need them too");
    }
  }
  plan.notes = std::move(ctx.notes);
  plan.dataLossChecks = dataLossChecks(ctx);
  return plan;
}

}  // namespace tenantshift::plan
