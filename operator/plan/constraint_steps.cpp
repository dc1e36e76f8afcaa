#include "plan/constraint_steps.h"

#include <algorithm>

#include "plan/catalog_checks.h"
#include "plan/index_rewrite_steps.h"
#include "plan/partitioned_ddl.h"
#include "plan/schema_steps.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"

namespace tenantshift::plan {

namespace {

void addValidateFk(const PlanContext& ctx, const PlannedTable& pt, std::vector<Step>& steps) {
  if (const ForeignKey* existing = existingTenantFk(ctx, *pt.table)) {
    if (!existing->validated) {
      Step step = newStep(Phase::Constraints, "constraints/validate-fk/" + pt.name(), pt.name(),
                          "validate the foreign key " + existing->name + " of " + pt.name() +
                              " (scans the table; writes continue)");
      step.up.push_back(statement("ALTER TABLE " + ctx.qualifiedName(pt.name()) +
                                  " VALIDATE CONSTRAINT " + quoteIdent(existing->name)));
      step.lock = LockLevel::ShareUpdateExclusive;
      steps.push_back(step);
    }
    return;
  }
  for (Step& step : constraintValidateSteps(
           ctx, Phase::Constraints, "constraints/validate-fk/" + pt.name(), pt.name(),
           ctx.tenants.name, tenantFkName(pt.name()), tenantFkDefinition(ctx),
           "the foreign key of " + ctx.spec.tenant.column + " to " + ctx.tenants.name)) {
    step.failureHint = "rows of " + pt.name() + " hold a " + ctx.spec.tenant.column +
                       " that has no row in " + ctx.tenants.name +
                       ": add those tenants, or fix the rows, then run again";
    steps.push_back(std::move(step));
  }
}

void addNotNull(const PlanContext& ctx, const PlannedTable& pt, std::vector<Step>& steps) {
  if (pt.existingColumn && pt.existingColumn->notNull) {
    return;  // already NOT NULL: nothing to add, nothing to undo
  }
  const std::string check = notNullCheckName(pt.name());
  const std::string table = ctx.qualifiedName(pt.name());
  const std::string prefix = "constraints/not-null/" + pt.name();
  const Statement notNull = tenantColumnNotNull(ctx, pt.name());

  Step add = newStep(Phase::Constraints, prefix + "/add-check", pt.name(),
                     "add CHECK (" + ctx.spec.tenant.column + " IS NOT NULL) to " + pt.name() +
                         " as NOT VALID (new rows are checked, existing rows later)");
  add.up.push_back(statement("ALTER TABLE " + table + " ADD CONSTRAINT " + quoteIdent(check) +
                             " CHECK (" + ctx.column() + " IS NOT NULL) NOT VALID"));
  // Done when the check exists, or when the column is already NOT NULL (the check was dropped).
  add.appliedCheck = checkExistsOrTenantNotNull(ctx, pt.name(), check);
  add.down.push_back(
      statement("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " + quoteIdent(check)));
  add.lock = LockLevel::AccessExclusive;
  steps.push_back(add);

  Step validate = newStep(Phase::Constraints, prefix + "/validate-check", pt.name(),
                          "validate the NOT NULL check of " + pt.name() +
                              " (scans the table; writes "
                              "continue)");
  validate.up.push_back(
      statement("ALTER TABLE " + table + " VALIDATE CONSTRAINT " + quoteIdent(check)));
  validate.appliedCheck = notNull;
  validate.lock = LockLevel::ShareUpdateExclusive;
  steps.push_back(validate);

  Step set = newStep(Phase::Constraints, prefix + "/set", pt.name(),
                     "make " + pt.name() + "." + ctx.spec.tenant.column +
                         " NOT NULL (proved by the validated check: no scan) and drop the check");
  set.up.push_back(
      statement("ALTER TABLE " + table + " ALTER COLUMN " + ctx.column() + " SET NOT NULL"));
  set.up.push_back(
      statement("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " + quoteIdent(check)));
  set.down.push_back(
      statement("ALTER TABLE " + table + " ALTER COLUMN " + ctx.column() + " DROP NOT NULL"));
  set.lock = LockLevel::AccessExclusive;
  steps.push_back(set);
}

std::vector<std::string> tenantIndexColumns(const PlanContext& ctx, const Table& table) {
  std::vector<std::string> columns{ctx.spec.tenant.column};
  for (const auto& key : table.primaryKey) {
    if (key != ctx.spec.tenant.column) {
      columns.push_back(key);
    }
  }
  return columns;
}

void addIndex(PlanContext& ctx, const PlannedTable& pt,
              const std::vector<TenantConsistentFk>& tenantFks, std::vector<Step>& steps) {
  const Table& table = *pt.table;
  for (const auto& index : table.indexes) {
    if (index.valid && !index.columns.empty() && index.columns.front() == ctx.spec.tenant.column) {
      ctx.notes.push_back("table '" + table.name + "' already has index '" + index.name +
                          "' leading with " + ctx.spec.tenant.column + ": no new index");
      return;
    }
  }
  const auto columns = tenantIndexColumns(ctx, table);
  for (const auto& rewrite : tenantFks) {
    std::vector<std::string> key{ctx.spec.tenant.column};
    key.insert(key.end(), rewrite.fk->referencedColumns.begin(),
               rewrite.fk->referencedColumns.end());
    if (rewrite.parent == &pt && key == columns) {
      return;  // the unique (tenant, primary key) the tenant-consistent foreign keys need serves
    }
  }
  IndexShape shape;
  for (const auto& column : columns) {
    shape.keys.push_back(quoteIdent(column));
  }
  for (Step& step : indexBuildSteps(ctx, Phase::Constraints, "constraints/index/" + table.name,
                                    table.name, tenantIndexName(table.name), shape,
                                    "tenant-filtered queries and the policies use it")) {
    steps.push_back(std::move(step));
  }
}

}  // namespace

void addConstraintSteps(PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                        std::vector<Step>& steps, std::vector<IndexReplacement>& replacements) {
  for (const auto& pt : ctx.tables) {
    addValidateFk(ctx, pt, steps);
    addNotNull(ctx, pt, steps);
    addIndex(ctx, pt, tenantFks, steps);
  }
  addTenantFkConstraintSteps(ctx, tenantFks, steps);
  addIndexRewriteBuilds(ctx, tenantFks, steps, replacements);
}

}  // namespace tenantshift::plan
