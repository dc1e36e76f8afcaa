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
    TableDecision decision;
    decision.table = pt.name();
    decision.source = pt.source;
    decision.reason = pt.reason;
    decision.existingColumn = pt.existingColumn != nullptr;
    decision.sourceForeignKey = pt.sourceForeignKey;
    decision.parent = pt.parent;
    decision.nullableSource = pt.nullableSource;
    decision.alternatives = pt.alternatives;
    if (pt.tableSpec != nullptr) {
      decision.crossTenantRefs = pt.tableSpec->crossTenantRefs;
    }
    for (const Table* partition : pt.partitions) {
      decision.partitions.push_back(partition->name);
    }
    plan.decisions.push_back(std::move(decision));
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
