#include "plan/constraint_steps.h"

#include <algorithm>

#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"

namespace tenantshift::plan {

namespace {

Step validateFkStep(const PlanContext& ctx, const std::string& id, const std::string& tableName,
                    const std::string& fkName) {
  Step step = newStep(Phase::Constraints, id, tableName,
                      "validate the foreign key " + fkName + " of " + tableName +
                          " (scans the table; writes continue)");
  step.up.push_back(statement("ALTER TABLE " + ctx.qualifiedName(tableName) +
                              " VALIDATE CONSTRAINT " + quoteIdent(fkName)));
  step.lock = LockLevel::ShareUpdateExclusive;
  return step;
}

void addValidateFk(const PlanContext& ctx, const PlannedTable& pt, std::vector<Step>& steps) {
  if (const ForeignKey* existing = existingTenantFk(ctx, *pt.table)) {
    if (!existing->validated) {
      steps.push_back(
          validateFkStep(ctx, "constraints/validate-fk/" + pt.name(), pt.name(), existing->name));
    }
    return;
  }
  if (pt.table->partitioned) {
    for (const Table* partition : pt.partitions) {
      steps.push_back(validateFkStep(ctx,
                                     "constraints/validate-fk/" + pt.name() + "/" + partition->name,
                                     partition->name, tenantFkName(partition->name)));
    }
    return;
  }
  steps.push_back(validateFkStep(ctx, "constraints/validate-fk/" + pt.name(), pt.name(),
                                 tenantFkName(pt.name())));
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

Step concurrentIndexStep(const PlanContext& ctx, const std::string& id,
                         const std::string& tableName, const std::vector<std::string>& columns) {
  const std::string index = tenantIndexName(tableName);
  const std::string qindex = ctx.qualifiedName(index);
  Step step =
      newStep(Phase::Constraints, id, tableName,
              "build the index " + index + " on " + tableName + " (" + quoteIdentList(columns) +
                  ") CONCURRENTLY; an invalid leftover is rebuilt");
  step.execution = Execution::Concurrent;
  step.appliedCheck = validIndexExists(ctx, index);
  step.up.push_back(statement("DROP INDEX CONCURRENTLY IF EXISTS " + qindex));
  step.up.push_back(statement("CREATE INDEX CONCURRENTLY " + quoteIdent(index) + " ON " +
                              ctx.qualifiedName(tableName) + " (" + quoteIdentList(columns) + ")"));
  step.downExecution = Execution::Concurrent;
  step.down.push_back(statement("DROP INDEX CONCURRENTLY IF EXISTS " + qindex));
  step.lock = LockLevel::ShareUpdateExclusive;
  return step;
}

void addIndex(PlanContext& ctx, const PlannedTable& pt, std::vector<Step>& steps) {
  const Table& table = *pt.table;
  for (const auto& index : table.indexes) {
    if (index.valid && !index.columns.empty() && index.columns.front() == ctx.spec.tenant.column) {
      ctx.notes.push_back("table '" + table.name + "' already has index '" + index.name +
                          "' leading with " + ctx.spec.tenant.column + ": no new index");
      return;
    }
  }
  const auto columns = tenantIndexColumns(ctx, table);
  if (!table.partitioned) {
    steps.push_back(
        concurrentIndexStep(ctx, "constraints/index/" + table.name, table.name, columns));
    return;
  }
  // CONCURRENTLY cannot build on a partitioned table: build on each partition, then create the
  // parent's index ON ONLY the parent and attach the partitions' indexes (no build).
  for (const Table* partition : pt.partitions) {
    steps.push_back(concurrentIndexStep(
        ctx, "constraints/index/" + table.name + "/" + partition->name, partition->name, columns));
  }
  const std::string index = tenantIndexName(table.name);
  const std::string qindex = ctx.qualifiedName(index);
  Step step = newStep(Phase::Constraints, "constraints/index/" + table.name, table.name,
                      "create the index " + index + " on the partitioned table " + table.name +
                          " from its partitions' indexes (no build)");
  step.appliedCheck = validIndexExists(ctx, index);
  step.up.push_back(statement("CREATE INDEX IF NOT EXISTS " + quoteIdent(index) + " ON ONLY " +
                              ctx.qualifiedName(table.name) + " (" + quoteIdentList(columns) +
                              ")"));
  for (const Table* partition : pt.partitions) {
    step.up.push_back(statement("ALTER INDEX " + qindex + " ATTACH PARTITION " +
                                ctx.qualifiedName(tenantIndexName(partition->name))));
  }
  step.down.push_back(statement("DROP INDEX IF EXISTS " + qindex));
  step.lock = LockLevel::Share;
  steps.push_back(step);
}

std::string uniqueIndexSql(const PlanContext& ctx, const Table& table, const UniqueKey& key,
                           const std::string& name, const std::vector<std::string>& columns) {
  return "CREATE UNIQUE INDEX CONCURRENTLY " + quoteIdent(name) + " ON " +
         ctx.qualifiedName(table.name) + " USING " + key.method + " (" + quoteIdentList(columns) +
         ")" + (key.predicate.empty() ? "" : " WHERE " + key.predicate);
}

// ALTER TABLE ... DROP CONSTRAINT old, ADD CONSTRAINT old UNIQUE USING INDEX replacement; or for
// a bare unique index: DROP INDEX old; ALTER INDEX replacement RENAME TO old.
std::vector<Statement> swapSql(const PlanContext& ctx, const Table& table, const UniqueKey& key,
                               const std::string& replacement) {
  if (key.constraint) {
    return {statement("ALTER TABLE " + ctx.qualifiedName(table.name) + " DROP CONSTRAINT " +
                      quoteIdent(key.name) + ", ADD CONSTRAINT " + quoteIdent(key.name) +
                      " UNIQUE USING INDEX " + quoteIdent(replacement))};
  }
  return {statement("DROP INDEX " + ctx.qualifiedName(key.name)),
          statement("ALTER INDEX " + ctx.qualifiedName(replacement) + " RENAME TO " +
                    quoteIdent(key.name))};
}

std::string keptReason(const PlanContext& ctx, const PlannedTable& pt, const UniqueKey& key) {
  const auto& keep = pt.tableSpec ? pt.tableSpec->keepUnique : std::vector<std::string>{};
  if (key.primary) {
    return "primary key '" + key.name + "' of '" + pt.name() +
           "' stays global (ids stay unique across tenants; foreign keys use it)";
  }
  if (!ctx.spec.rewriteUniques) {
    return "unique key '" + key.name + "' of '" + pt.name() +
           "' stays global: spec.rewriteUniques is false";
  }
  if (std::find(keep.begin(), keep.end(), key.name) != keep.end()) {
    return "unique key '" + key.name + "' of '" + pt.name() +
           "' stays global: listed in keepUnique";
  }
  if (!key.referencedBy.empty()) {
    std::string fks;
    for (const auto& fk : key.referencedBy) {
      fks += (fks.empty() ? "" : ", ") + fk;
    }
    return "unique key '" + key.name + "' of '" + pt.name() +
           "' stays global: foreign keys reference it (" + fks +
           "), and they need a unique key on exactly their columns";
  }
  if (key.hasExpressions) {
    return "unique index '" + key.name + "' of '" + pt.name() +
           "' stays global: it has expressions; rewrite it by hand to lead with " +
           ctx.spec.tenant.column;
  }
  if (pt.table->partitioned) {
    return "unique key '" + key.name + "' of partitioned table '" + pt.name() +
           "' stays global: CONCURRENTLY cannot build on a partitioned table; rewrite it in a "
           "maintenance window";
  }
  return "";
}

void addUniqueRewrite(const PlanContext& ctx, const PlannedTable& pt, const UniqueKey& key,
                      std::vector<Step>& steps) {
  const Table& table = *pt.table;
  const std::string replacement = rewrittenUniqueName(key.name);
  const std::string restored = restoredUniqueName(key.name);
  std::vector<std::string> columns{ctx.spec.tenant.column};
  columns.insert(columns.end(), key.columns.begin(), key.columns.end());
  const std::string prefix = "constraints/unique/" + table.name + "/" + key.name;
  const std::string what = std::string(key.constraint ? "unique constraint " : "unique index ") +
                           key.name + " of " + table.name;

  Step build = newStep(Phase::Constraints, prefix + "/build", table.name,
                       "build the unique index " + replacement + " (" + quoteIdentList(columns) +
                           ") CONCURRENTLY to replace the " + what);
  build.execution = Execution::Concurrent;
  build.appliedCheck = validIndexOrKeyLeadsWithTenant(ctx, replacement, key.name);
  build.up.push_back(
      statement("DROP INDEX CONCURRENTLY IF EXISTS " + ctx.qualifiedName(replacement)));
  build.up.push_back(statement(uniqueIndexSql(ctx, table, key, replacement, columns)));
  // Runs after the swap's down: swaps the original shape back when it was rebuilt, and drops
  // the replacement when the swap never happened.
  build.down.push_back(statement("DO $tenantshift$ BEGIN IF pg_catalog.to_regclass(" +
                                 quoteLiteral(ctx.qualifiedName(restored)) + ") IS NOT NULL THEN " +
                                 [&] {
                                   std::string sql;
                                   for (const auto& s : swapSql(ctx, table, key, restored)) {
                                     sql += s.sql + "; ";
                                   }
                                   return sql;
                                 }() +
                                 "END IF; END $tenantshift$"));
  build.down.push_back(statement("DROP INDEX IF EXISTS " + ctx.qualifiedName(replacement)));
  build.lock = LockLevel::ShareUpdateExclusive;
  steps.push_back(build);

  Step swap = newStep(Phase::Constraints, prefix + "/swap", table.name,
                      "swap the " + what + " for the one leading with " + ctx.spec.tenant.column +
                          " (unique per tenant)");
  swap.appliedCheck = indexLeadsWithTenant(ctx, key.name);
  swap.up = swapSql(ctx, table, key, replacement);
  swap.downExecution = Execution::Concurrent;
  swap.down.push_back(
      statement("DROP INDEX CONCURRENTLY IF EXISTS " + ctx.qualifiedName(restored)));
  swap.down.push_back(statement(uniqueIndexSql(ctx, table, key, restored, key.columns)));
  swap.lock = LockLevel::AccessExclusive;
  swap.downRisk = DataLossRisk::Medium;
  swap.riskReason =
      "rollback fails if two tenants now hold the same value (nothing is lost; the "
      "rollback stops)";
  steps.push_back(swap);
}

void addUniques(PlanContext& ctx, const PlannedTable& pt, std::vector<Step>& steps) {
  for (const auto& key : pt.table->uniqueKeys) {
    if (std::find(key.columns.begin(), key.columns.end(), ctx.spec.tenant.column) !=
        key.columns.end()) {
      continue;  // already per tenant
    }
    std::string kept = keptReason(ctx, pt, key);
    if (!kept.empty()) {
      ctx.notes.push_back(kept);
      continue;
    }
    addUniqueRewrite(ctx, pt, key, steps);
  }
}

}  // namespace

void addConstraintSteps(PlanContext& ctx, std::vector<Step>& steps) {
  for (const auto& pt : ctx.tables) {
    addValidateFk(ctx, pt, steps);
    addNotNull(ctx, pt, steps);
    addIndex(ctx, pt, steps);
    addUniques(ctx, pt, steps);
  }
}

}  // namespace tenantshift::plan
