#include "plan/planner.h"

#include "plan/backfill_steps.h"
#include "plan/constraint_steps.h"
#include "plan/data_loss_checks.h"
#include "plan/rls_steps.h"
#include "plan/schema_steps.h"
#include "plan/table_selection.h"
#include "plan/tenant_fk_steps.h"
#include "plan/tenant_source_resolver.h"
#include "plan/tenants_rows.h"

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
  const std::vector<TenantConsistentFk> tenantFks = tenantConsistentFks(ctx, ctx.notes);
  addSchemaSteps(ctx, tenantFks, plan.steps);
  addBackfillSteps(ctx, plan.steps);
  addConstraintSteps(ctx, tenantFks, plan.steps, plan.indexReplacements);
  addRlsSteps(ctx, plan.steps);
  addVerifyAndFlagSteps(ctx, tenantFks, plan.indexReplacements, plan.steps);
  for (const auto& pt : ctx.tables) {
    if (pt.table->partitioned) {
      ctx.notes.push_back("partitioned table '" + pt.name() +
                          "': its foreign keys and indexes are on the partitioned table, so "
                          "partitions created later get them; policies are per table, so a "
                          "partition created later has none until row-level security and the "
                          "tenantshift policies are added to it (verify reports it)");
    }
  }
  plan.notes = std::move(ctx.notes);
  plan.dataLossChecks = dataLossChecks(ctx);
  plan.preflights = tenantsRowPreflights(ctx);
  return plan;
}

}  // namespace tenantshift::plan
