#include "plan/index_rewrite_steps.h"

#include <algorithm>
#include <set>

#include "api/joined.h"
#include "plan/catalog_checks.h"
#include "plan/partitioned_ddl.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"

namespace tenantshift::plan {

namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<std::string>& keepUniqueOf(const PlannedTable& pt) {
  static const std::vector<std::string> none;
  return pt.tableSpec ? pt.tableSpec->keepUnique : none;
}

const std::vector<std::string>& keepIndexesOf(const PlannedTable& pt) {
  static const std::vector<std::string> none;
  return pt.tableSpec ? pt.tableSpec->keepIndexes : none;
}

// Why unique key `key` of `pt` stays global, or "" when it is rewritten.
std::string keptReason(const PlanContext& ctx, const PlannedTable& pt, const UniqueKey& key,
                       const std::set<std::string>& replacedFks) {
  if (key.primary) {
    return "primary key '" + key.name + "' of '" + pt.name() +
           "' stays global (ids stay unique across tenants; foreign keys use it)";
  }
  if (!ctx.spec.rewriteUniques) {
    return "unique key '" + key.name + "' of '" + pt.name() +
           "' stays global: spec.rewriteUniques is false";
  }
  if (listed(keepUniqueOf(pt), key.name) || listed(keepUniqueOf(pt), key.indexName)) {
    return "unique key '" + key.name + "' of '" + pt.name() +
           "' stays global: listed in keepUnique";
  }
  std::vector<std::string> keeping;
  for (const auto& fk : key.referencedBy) {
    if (replacedFks.count(fk) == 0) {
      keeping.push_back(fk);
    }
  }
  if (!keeping.empty()) {
    return "unique key '" + key.name + "' of '" + pt.name() +
           "' stays global: foreign keys that keep their single-column form reference it (" +
           api::joined(keeping) + "), and they need a unique key on exactly their columns";
  }
  return "";
}

bool leadsWithTenant(const PlanContext& ctx, const std::vector<std::string>& columns) {
  return !columns.empty() && columns.front() == ctx.spec.tenant.column;
}

std::string deferralOf(bool deferrable, bool initiallyDeferred) {
  return deferrable ? (initiallyDeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE") : "";
}

std::vector<std::string> withTenantColumn(const PlanContext& ctx,
                                          const std::vector<std::string>& columns) {
  std::vector<std::string> out{ctx.spec.tenant.column};
  out.insert(out.end(), columns.begin(), columns.end());
  return out;
}

// Undo of the finalize step of a partitioned table's unique constraint: the original constraint
// again under a temporary name (built on every partition, under a SHARE lock), then the names
// swapped back. Each statement is skipped once the swap is done, so a rerun changes nothing.
std::vector<Statement> partitionedConstraintRestore(const PlanContext& ctx,
                                                    const IndexReplacement& r,
                                                    const UniqueKey& original) {
  const std::string t = ctx.qualifiedName(r.table);
  const std::string restored = restoredUniqueName(r.index);
  const std::string swapped =
      "pg_catalog.to_regclass(" + quoteLiteral(ctx.regclassText(r.replacement)) + ") IS NULL";
  const std::string restoredExists =
      "EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass(" +
      quoteLiteral(ctx.regclassText(r.table)) + ") AND conname = " + quoteLiteral(restored) + ")";
  const std::string definition = uniqueConstraintDefinition(
      original.columns, original.includeColumns, original.nullsNotDistinct,
      deferralOf(original.deferrable, original.initiallyDeferred));
  return {
      statement("DO " + dollarQuoted("BEGIN IF " + swapped + " AND NOT " + restoredExists +
                                     " THEN ALTER TABLE " + t + " ADD CONSTRAINT " +
                                     quoteIdent(restored) + " " + definition + "; END IF; END")),
      statement("DO " + dollarQuoted("BEGIN IF " + swapped + " THEN ALTER TABLE " + t +
                                     " RENAME CONSTRAINT " + quoteIdent(r.index) + " TO " +
                                     quoteIdent(r.replacement) + "; ALTER TABLE " + t +
                                     " RENAME CONSTRAINT " + quoteIdent(restored) + " TO " +
                                     quoteIdent(r.index) + "; END IF; END"))};
}

constexpr const char* kUniqueRollbackRisk =
    "rollback fails if two tenants now hold the same value (nothing is lost; the rollback stops)";

// The finalize step of a partitioned table's unique constraint: the replacement, a constraint
// since the constraints phase, takes the original's name (its index and its partitions' come
// along), so it stays a constraint with its DEFERRABLE.
Step partitionedConstraintFinalizeStep(const PlanContext& ctx, const IndexReplacement& r,
                                       const UniqueKey& original) {
  const std::string t = ctx.qualifiedName(r.table);
  Step step = newStep(Phase::Flag, "flag/finalize/" + r.table + "/" + r.index, r.table,
                      "replace the unique constraint " + r.index + " of the partitioned table " +
                          r.table + " by the constraint " + r.replacement + " (leading with " +
                          ctx.spec.tenant.column + "), under the original name");
  step.up.push_back(statement("ALTER TABLE " + t + " DROP CONSTRAINT " + quoteIdent(r.index)));
  step.up.push_back(statement("ALTER TABLE " + t + " RENAME CONSTRAINT " +
                              quoteIdent(r.replacement) + " TO " + quoteIdent(r.index)));
  step.appliedCheck = indexLeadsWithTenant(ctx, r.index);
  step.lock = LockLevel::AccessExclusive;
  step.downExecution = Execution::Concurrent;
  step.down = partitionedConstraintRestore(ctx, r, original);
  step.downRisk = DataLossRisk::Medium;
  step.riskReason = "undoing it rebuilds " + r.index + " on the partitioned table " + r.table +
                    " with a SHARE lock (writes wait while it builds); " + kUniqueRollbackRisk;
  return step;
}

Step finalizeStep(const PlanContext& ctx, const IndexReplacement& r, const Table& table,
                  const IndexShape& original, bool deferrable, bool initiallyDeferred) {
  const std::string t = ctx.qualifiedName(r.table);
  const std::string what =
      std::string(r.constraint ? "unique constraint " : (r.unique ? "unique index " : "index ")) +
      r.index + " of " + r.table;
  Step step = newStep(Phase::Flag, "flag/finalize/" + r.table + "/" + r.index, r.table,
                      "replace the " + what + " by " + r.replacement + " (leading with " +
                          ctx.spec.tenant.column + "), under the original name");
  const std::string deferral = deferralOf(deferrable, initiallyDeferred);
  const bool asConstraint = r.constraint && !table.partitioned;
  const std::string tableLiteral = quoteLiteral(ctx.regclassText(r.table));
  const std::string constraintNamed =
      "EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass(" +
      tableLiteral + ") AND conname = ";
  if (asConstraint) {
    // After a rollback of this step the replacement is a constraint already.
    step.up.push_back(statement(
        "DO " + dollarQuoted("BEGIN IF " + constraintNamed + quoteLiteral(r.replacement) +
                             ") THEN ALTER TABLE " + t + " DROP CONSTRAINT " + quoteIdent(r.index) +
                             "; ALTER TABLE " + t + " RENAME CONSTRAINT " +
                             quoteIdent(r.replacement) + " TO " + quoteIdent(r.index) +
                             "; ELSE ALTER TABLE " + t + " DROP CONSTRAINT " + quoteIdent(r.index) +
                             ", ADD CONSTRAINT " + quoteIdent(r.index) + " UNIQUE USING INDEX " +
                             quoteIdent(r.replacement) + deferral + "; END IF; END")));
  } else {
    step.up.push_back(statement(r.constraint
                                    ? "ALTER TABLE " + t + " DROP CONSTRAINT " + quoteIdent(r.index)
                                    : "DROP INDEX " + ctx.qualifiedName(r.index)));
    step.up.push_back(statement("ALTER INDEX " + ctx.qualifiedName(r.replacement) + " RENAME TO " +
                                quoteIdent(r.index)));
  }
  step.appliedCheck = indexLeadsWithTenant(ctx, r.index);
  step.lock = LockLevel::AccessExclusive;

  // Undo: the original shape again under a temporary name, then the names swapped back, so that
  // both indexes exist as after the constraints phase. Idempotent statement by statement.
  const std::string restored = restoredUniqueName(r.index);
  step.downExecution = Execution::Concurrent;
  if (table.partitioned) {
    step.down.push_back(
        statement(createIndexSql(ctx, r.table, restored, original, IndexBuild::Everywhere)));
    step.riskReason = "undoing it rebuilds " + r.index + " on the partitioned table " + r.table +
                      " with a SHARE lock (writes wait while it builds)";
  } else {
    step.down.push_back(concurrentIndexStatement("DROP INDEX CONCURRENTLY IF EXISTS " +
                                                 ctx.qualifiedName(restored)));
    step.down.push_back(concurrentIndexStatement(
        createIndexSql(ctx, r.table, restored, original, IndexBuild::Concurrently)));
  }
  const std::string indexNamed =
      "pg_catalog.to_regclass(" + quoteLiteral(ctx.regclassText(r.replacement)) + ") IS NULL";
  std::string swapBack;
  if (asConstraint) {
    swapBack = "ALTER TABLE " + t + " RENAME CONSTRAINT " + quoteIdent(r.index) + " TO " +
               quoteIdent(r.replacement) + "; ALTER TABLE " + t + " ADD CONSTRAINT " +
               quoteIdent(r.index) + " UNIQUE USING INDEX " + quoteIdent(restored) + deferral + ";";
  } else {
    swapBack = "ALTER INDEX " + ctx.qualifiedName(r.index) + " RENAME TO " +
               quoteIdent(r.replacement) + "; ALTER INDEX " + ctx.qualifiedName(restored) +
               " RENAME TO " + quoteIdent(r.index) + ";";
  }
  step.down.push_back(
      statement("DO " + dollarQuoted("BEGIN IF " + indexNamed + " THEN " + swapBack +
                                     " ELSE DROP INDEX IF EXISTS " + ctx.qualifiedName(restored) +
                                     "; END IF; END")));
  if (r.unique) {
    step.downRisk = DataLossRisk::Medium;
    step.riskReason =
        (step.riskReason.empty() ? "" : step.riskReason + "; ") + std::string(kUniqueRollbackRisk);
  }
  return step;
}

}  // namespace

void addIndexRewriteBuilds(PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                           std::vector<Step>& steps, std::vector<IndexReplacement>& replacements) {
  std::set<std::string> replacedFks;
  for (const auto& rewrite : tenantFks) {
    if (!rewrite.keepOriginal) {
      replacedFks.insert(rewrite.fk->name);
    }
  }
  for (const PlannedTable& pt : ctx.tables) {
    const Table& table = *pt.table;
    for (const UniqueKey& key : table.uniqueKeys) {
      if (listed(key.columns, ctx.spec.tenant.column)) {
        continue;  // already per tenant
      }
      const std::string kept = keptReason(ctx, pt, key, replacedFks);
      if (!kept.empty()) {
        ctx.notes.push_back(kept);
        continue;
      }
      const std::string replacement = rewrittenUniqueName(key.name);
      const std::string idPrefix = "constraints/unique/" + table.name + "/" + key.name;
      const std::string purpose =
          "unique per tenant; replaces " + key.name + " once the feature flag is on";
      // A partitioned table's unique constraint stays a constraint: its replacement is one from
      // the start (a partitioned index cannot become one later).
      std::vector<Step> build =
          key.constraint && table.partitioned
              ? uniqueConstraintBuildSteps(
                    ctx, Phase::Constraints, idPrefix, table.name, replacement,
                    withTenantColumn(ctx, key.columns), leadingWithTenant(ctx, key),
                    deferralOf(key.deferrable, key.initiallyDeferred), purpose)
              : indexBuildSteps(ctx, Phase::Constraints, idPrefix, table.name, replacement,
                                leadingWithTenant(ctx, key), purpose);
      if (key.constraint && !table.partitioned) {
        // After the finalize step was undone, the replacement is a constraint of its own.
        build.back().down.insert(
            build.back().down.begin(),
            statement("DO " + dollarQuoted("BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_constraint "
                                           "WHERE conrelid = pg_catalog.to_regclass(" +
                                           quoteLiteral(ctx.regclassText(table.name)) +
                                           ") AND conname = " + quoteLiteral(replacement) +
                                           ") THEN ALTER TABLE " + ctx.qualifiedName(table.name) +
                                           " DROP CONSTRAINT " + quoteIdent(replacement) +
                                           "; END IF; END")));
      }
      for (Step& step : build) {
        steps.push_back(std::move(step));
      }
      replacements.push_back(
          IndexReplacement{table.name, key.name, replacement, true, key.constraint});
      ctx.notes.push_back(
          "unique key '" + key.name + "' of '" + table.name + "': (" + ctx.spec.tenant.column +
          ", " + api::joined(key.keyDefinitions) +
          ") is built in the constraints phase, and the global key stays until the feature flag "
          "is on, so that the unchanged application's ON CONFLICT (" +
          api::joined(key.columns) + ") keeps working; after the flag the per-tenant key takes " +
          "its name, and the tenant-aware application's upserts must name ON CONFLICT (" +
          ctx.spec.tenant.column + ", " + api::joined(key.columns) + ")" +
          (key.deferrable ? "; while the new index is built, it is checked immediately (a "
                            "transaction that relies on deferring this key should not run then)"
                          : ""));
    }
    if (!ctx.spec.rewriteIndexes) {
      continue;
    }
    for (const Index& index : table.indexes) {
      if (index.unique || index.primary || !index.constraint.empty() || !index.valid ||
          index.partitionOf || leadsWithTenant(ctx, index.columns) ||
          index.name == tenantIndexName(table.name)) {
        continue;
      }
      if (listed(keepIndexesOf(pt), index.name)) {
        ctx.notes.push_back("index '" + index.name + "' of '" + table.name +
                            "' keeps its shape: listed in keepIndexes (verify reports it as an "
                            "accepted planner side channel)");
        continue;
      }
      if (index.method != "btree") {
        ctx.notes.push_back(
            "index '" + index.name + "' of '" + table.name + "' (" + index.method +
            ") keeps its shape: the tenant column cannot lead a " + index.method +
            " index without an extension (btree_gin/btree_gist); verify reports it as a planner "
            "side channel unless listed in spec.tables[].keepIndexes");
        continue;
      }
      const std::string replacement = rewrittenUniqueName(index.name);
      for (Step& step :
           indexBuildSteps(ctx, Phase::Constraints,
                           "constraints/index-rewrite/" + table.name + "/" + index.name, table.name,
                           replacement, leadingWithTenant(ctx, index),
                           "leads with " + ctx.spec.tenant.column + "; replaces " + index.name +
                               " once the feature flag is on")) {
        steps.push_back(std::move(step));
      }
      replacements.push_back(IndexReplacement{table.name, index.name, replacement, false, false});
    }
  }
}

void addIndexRewriteFinalize(const PlanContext& ctx,
                             const std::vector<IndexReplacement>& replacements,
                             std::vector<Step>& steps) {
  for (const IndexReplacement& r : replacements) {
    const Table& table = *ctx.catalog.findTable(r.table);
    if (r.unique) {
      for (const UniqueKey& key : table.uniqueKeys) {
        if (key.name != r.index) {
          continue;
        }
        steps.push_back(
            r.constraint && table.partitioned
                ? partitionedConstraintFinalizeStep(ctx, r, key)
                : finalizeStep(ctx, r, table, shapeOf(key), key.deferrable, key.initiallyDeferred));
      }
    } else if (const Index* index = table.findIndex(r.index)) {
      steps.push_back(finalizeStep(ctx, r, table, shapeOf(*index), false, false));
    }
  }
}

}  // namespace tenantshift::plan
