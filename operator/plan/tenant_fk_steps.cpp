#include "plan/tenant_fk_steps.h"

#include <algorithm>
#include <set>

#include "api/joined.h"
#include "plan/catalog_checks.h"
#include "plan/object_names.h"
#include "plan/partitioned_ddl.h"
#include "plan/sql_identifier.h"

namespace tenantshift::plan {

namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string tenantKeyIndexName(const std::string& parent, const std::vector<std::string>& key) {
  return boundedName(parent + "_" + api::joined(key, "_"), "_tenant_key");
}

// The parent's existing valid unique index on exactly (tenant, key), if any.
const Index* existingTenantKey(const PlanContext& ctx, const Table& parent,
                               const std::vector<std::string>& key) {
  std::vector<std::string> wanted{ctx.spec.tenant.column};
  wanted.insert(wanted.end(), key.begin(), key.end());
  for (const Index& index : parent.indexes) {
    if (index.unique && index.valid && index.predicate.empty() && index.columns == wanted &&
        !index.partitionOf) {
      return &index;
    }
  }
  return nullptr;
}

// Why `fk` of `child` keeps its single-column form, or "" when it is rewritten.
std::string keptBecause(const PlanContext& ctx, const PlannedTable& child, const ForeignKey& fk,
                        const PlannedTable* parent) {
  const std::string& column = ctx.spec.tenant.column;
  if (parent == nullptr) {
    return "";  // not between tenant tables: nothing to say
  }
  if (child.tableSpec && listed(child.tableSpec->crossTenantRefs, fk.name)) {
    return "accepted as a cross-tenant reference (spec.tables[" + std::to_string(child.specIndex) +
           "].crossTenantRefs)";
  }
  if (listed(fk.columns, column) || listed(fk.referencedColumns, column)) {
    return "already includes " + column;
  }
  if (fk.onUpdate == "SET NULL" || fk.onUpdate == "SET DEFAULT") {
    return "ON UPDATE " + fk.onUpdate + " would also clear " + column;
  }
  if ((fk.onDelete == "SET NULL" || fk.onDelete == "SET DEFAULT") &&
      ctx.catalog.serverVersion < 150000) {
    return "ON DELETE " + fk.onDelete + " (columns) needs PostgreSQL 15";
  }
  return "";
}

std::string definitionOf(const PlanContext& ctx, const PlannedTable& child, const ForeignKey& fk) {
  std::vector<std::string> columns{ctx.spec.tenant.column};
  columns.insert(columns.end(), fk.columns.begin(), fk.columns.end());
  std::vector<std::string> referenced{ctx.spec.tenant.column};
  referenced.insert(referenced.end(), fk.referencedColumns.begin(), fk.referencedColumns.end());
  // The key a row derives its tenant through cascades a parent's move to another tenant.
  const bool derivation = child.sourceForeignKey == fk.name;
  std::string sql = "FOREIGN KEY (" + quoteIdentList(columns) + ") REFERENCES " +
                    ctx.qualifiedName(fk.referencedTable) + " (" + quoteIdentList(referenced) +
                    ") ON UPDATE " + (derivation ? std::string("CASCADE") : fk.onUpdate) +
                    " ON DELETE " + fk.onDelete;
  if (fk.onDelete == "SET NULL" || fk.onDelete == "SET DEFAULT") {
    sql +=
        " (" + quoteIdentList(fk.onDeleteColumns.empty() ? fk.columns : fk.onDeleteColumns) + ")";
  }
  if (fk.deferrable) {
    sql += fk.initiallyDeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
  }
  return sql;
}

// DO: when `table` has no constraint `temporary`, RENAME CONSTRAINT original TO temporary.
Statement renameConstraintBack(const PlanContext& ctx, const std::string& table,
                               const std::string& original, const std::string& temporary) {
  return statement("DO " + dollarQuoted("BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint "
                                        "WHERE conrelid = pg_catalog.to_regclass(" +
                                        quoteLiteral(ctx.regclassText(table)) +
                                        ") AND conname = " + quoteLiteral(temporary) +
                                        ") THEN ALTER TABLE " + ctx.qualifiedName(table) +
                                        " RENAME CONSTRAINT " + quoteIdent(original) + " TO " +
                                        quoteIdent(temporary) + "; END IF; END"));
}

}  // namespace

std::vector<TenantConsistentFk> tenantConsistentFks(const PlanContext& ctx,
                                                    std::vector<std::string>& notes) {
  std::vector<TenantConsistentFk> out;
  if (!ctx.spec.tenantForeignKeys) {
    return out;
  }
  for (const PlannedTable& child : ctx.tables) {
    for (const ForeignKey& fk : child.table->foreignKeys) {
      const PlannedTable* parent = ctx.find(fk.referencedTable);
      if (parent == nullptr || fk.columns.empty()) {
        continue;
      }
      const std::string kept = keptBecause(ctx, child, fk, parent);
      if (!kept.empty()) {
        notes.push_back("foreign key '" + fk.name + "' of '" + child.name() +
                        "' keeps its single-column form: " + kept);
        continue;
      }
      TenantConsistentFk rewrite;
      rewrite.child = &child;
      rewrite.fk = &fk;
      rewrite.parent = parent;
      if (const Index* existing = existingTenantKey(ctx, *parent->table, fk.referencedColumns)) {
        rewrite.parentKeyIndex = existing->name;
        rewrite.parentKeyExists = true;
      } else {
        rewrite.parentKeyIndex = tenantKeyIndexName(parent->name(), fk.referencedColumns);
      }
      rewrite.name = boundedName(fk.name, "_tenant");
      rewrite.definition = definitionOf(ctx, child, fk);
      rewrite.keepOriginal = fk.matchFull && fk.columns.size() > 1;
      rewrite.early = child.sourceForeignKey == fk.name && child.existingColumn == nullptr;
      if (child.sourceForeignKey == fk.name && fk.onUpdate != "CASCADE") {
        notes.push_back("foreign key '" + fk.name + "' of '" + child.name() +
                        "' becomes ON UPDATE CASCADE (it was " + fk.onUpdate + "): the rows of '" +
                        child.name() + "' take their tenant from it, so when a '" + parent->name() +
                        "' row moves to another tenant, they move with it");
      }
      if (!rewrite.early) {
        notes.push_back(
            "foreign key '" + fk.name + "' of '" + child.name() + "' becomes tenant-consistent (" +
            ctx.spec.tenant.column + ", " + api::joined(fk.columns) +
            ") in the flag phase, after enforcement: until the feature "
            "flag the unchanged application may still move a referenced '" +
            parent->name() +
            "' row to another tenant, and verify checks the key by query; from the flag on a '" +
            child.name() + "' row can only reference a '" + parent->name() +
            "' row of its own tenant (a failed validation names the key and the "
            "crossTenantRefs line that accepts it)");
      }
      out.push_back(std::move(rewrite));
    }
  }
  return out;
}

void addTenantFkSchemaSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& fks,
                            std::vector<Step>& steps) {
  std::set<std::string> built;
  for (const TenantConsistentFk& rewrite : fks) {
    if (rewrite.parentKeyExists || !built.insert(rewrite.parentKeyIndex).second) {
      continue;
    }
    IndexShape shape;
    shape.unique = true;
    shape.keys.push_back(ctx.column());
    for (const auto& column : rewrite.fk->referencedColumns) {
      shape.keys.push_back(quoteIdent(column));
    }
    for (Step& step : indexBuildSteps(
             ctx, Phase::Schema,
             "schema/tenant-key/" + rewrite.parent->name() + "/" + rewrite.parentKeyIndex,
             rewrite.parent->name(), rewrite.parentKeyIndex, shape,
             "the key tenant-consistent foreign keys reference")) {
      steps.push_back(std::move(step));
    }
  }
  for (const TenantConsistentFk& rewrite : fks) {
    if (!rewrite.early) {
      continue;
    }
    for (Step& step : constraintNotValidSteps(
             ctx, Phase::Schema,
             "schema/tenant-fk/" + rewrite.child->name() + "/" + rewrite.fk->name,
             rewrite.child->name(), rewrite.parent->name(), rewrite.name, rewrite.definition,
             "the tenant-consistent form of " + rewrite.fk->name)) {
      steps.push_back(std::move(step));
    }
  }
}

namespace {

// Validates the tenant-consistent form of `rewrite` (a failure names the foreign key and the spec
// line that accepts it as a cross-tenant reference) and puts it in place of the original, under
// its name; the steps' ids start with `prefix`.
void addValidateAndReplace(const PlanContext& ctx, const TenantConsistentFk& rewrite, Phase phase,
                           const std::string& prefix, std::vector<Step>& steps) {
  const std::string& child = rewrite.child->name();
  const std::string field =
      rewrite.child->specIndex >= 0
          ? "spec.tables[" + std::to_string(rewrite.child->specIndex) + "].crossTenantRefs"
          : "spec.tables (add {name: " + child + ", crossTenantRefs: [...]})";
  const std::string hint = "rows of " + child + " reference " + rewrite.parent->name() +
                           " rows of another tenant through " + rewrite.fk->name +
                           ": if they legitimately do, list " + rewrite.fk->name + " in " + field +
                           " and run again; otherwise fix those rows (tenantshift " +
                           "verify lists them with sample keys)";
  for (Step& step : constraintValidateSteps(
           ctx, phase, prefix + "/validate", child, rewrite.parent->name(), rewrite.name,
           rewrite.definition, "the tenant-consistent form of " + rewrite.fk->name)) {
    step.failureHint = hint;
    steps.push_back(std::move(step));
  }
  if (rewrite.keepOriginal) {
    return;
  }
  const std::string table = ctx.qualifiedName(child);
  Step swap = newStep(phase, prefix + "/replace", child,
                      "replace the foreign key " + rewrite.fk->name + " of " + child +
                          " by its tenant-consistent form, under the same name");
  // The parent first, as the application writes a parent and then its child.
  swap.up.push_back(lockParentFirst(ctx, rewrite.parent->name(), child, "ACCESS EXCLUSIVE"));
  swap.up.push_back(
      statement("ALTER TABLE " + table + " DROP CONSTRAINT " + quoteIdent(rewrite.fk->name)));
  swap.up.push_back(statement("ALTER TABLE " + table + " RENAME CONSTRAINT " +
                              quoteIdent(rewrite.name) + " TO " + quoteIdent(rewrite.fk->name)));
  // Done when the constraint of the original name is the tenant-consistent one.
  swap.appliedCheck = statement(
      "SELECT EXISTS (SELECT FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_attribute a "
      "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] WHERE c.conrelid = "
      "pg_catalog.to_regclass($1) AND c.conname = $2 AND a.attname = $3)",
      {ctx.regclassText(child), rewrite.fk->name, ctx.spec.tenant.column});
  // Undo, one idempotent statement at a time (a rollback killed half-way runs it again): the
  // tenant-consistent key gets its own name back, then the original returns without a long
  // lock: NOT VALID on each leaf, validated, then (partitioned) attached by the parent's.
  swap.downExecution = Execution::Concurrent;
  swap.down.push_back(renameConstraintBack(ctx, child, rewrite.fk->name, rewrite.name));
  const bool partitioned = rewrite.child->table->partitioned;
  for (const Table* leaf : leavesOf(ctx, child)) {
    swap.down.push_back(addConstraintIfMissing(ctx, leaf->name, rewrite.fk->name,
                                               rewrite.fk->definition + " NOT VALID"));
  }
  for (const Table* leaf : leavesOf(ctx, child)) {
    swap.down.push_back(statement("ALTER TABLE " + ctx.qualifiedName(leaf->name) +
                                  " VALIDATE CONSTRAINT " + quoteIdent(rewrite.fk->name)));
  }
  if (partitioned) {
    swap.down.push_back(
        addConstraintIfMissing(ctx, child, rewrite.fk->name, rewrite.fk->definition));
  }
  swap.lock = LockLevel::AccessExclusive;
  steps.push_back(swap);
}

}  // namespace

void addTenantFkConstraintSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& fks,
                                std::vector<Step>& steps) {
  for (const TenantConsistentFk& rewrite : fks) {
    if (rewrite.early) {
      addValidateAndReplace(
          ctx, rewrite, Phase::Constraints,
          "constraints/tenant-fk/" + rewrite.child->name() + "/" + rewrite.fk->name, steps);
    }
  }
}

void addTenantFkFlagSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& fks,
                          std::vector<Step>& steps) {
  for (const TenantConsistentFk& rewrite : fks) {
    if (rewrite.early) {
      continue;
    }
    const std::string prefix =
        "flag/finalize/tenant-fk/" + rewrite.child->name() + "/" + rewrite.fk->name;
    for (Step& step :
         constraintNotValidSteps(ctx, Phase::Flag, prefix + "/add", rewrite.child->name(),
                                 rewrite.parent->name(), rewrite.name, rewrite.definition,
                                 "the tenant-consistent form of " + rewrite.fk->name)) {
      steps.push_back(std::move(step));
    }
    addValidateAndReplace(ctx, rewrite, Phase::Flag, prefix, steps);
  }
}

}  // namespace tenantshift::plan
