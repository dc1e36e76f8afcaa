#include "plan/backfill_steps.h"

#include <algorithm>

#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_expression.h"
#include "plan/tenant_move_guard.h"
#include "plan/tenants_rows.h"

namespace tenantshift::plan {

namespace {

using Kind = api::TenantSource::Kind;

Step tenantsFromColumnStep(const PlanContext& ctx, const PlannedTable& pt) {
  Step step = newStep(Phase::Backfill, "backfill/tenants-from-column/" + pt.name(), pt.name(),
                      "create a tenants row for every distinct " + pt.column + " of " + pt.name() +
                          " that has none");
  step.up.push_back(statement(tenantsFromColumnSql(ctx, pt)));
  // ACCESS SHARE on the table read, ROW EXCLUSIVE on the tenants table.
  step.lock = LockLevel::RowExclusive;
  return step;
}

std::string prefixed(const std::string& prefix, const std::vector<std::string>& keys,
                     const std::string& suffix = "") {
  std::string out;
  for (const auto& key : keys) {
    out.append(out.empty() ? "" : ", ").append(prefix).append(quoteIdent(key)).append(suffix);
  }
  return out;
}

// (a.k1, a.k2) > ($3::t1, $4::t2), or a.k > $3::t for a single key: the key of the row aliased
// `alias` compared by `op` with the parameters from number `first` on.
std::string keyComparison(const Table& table, const std::string& alias, const std::string& op,
                          std::size_t first) {
  const auto& keys = table.primaryKey;
  std::string params;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const Column* column = table.findColumn(keys[i]);
    params += (params.empty() ? "" : ", ") + std::string("$") + std::to_string(first + i) +
              "::" + (column ? column->type : std::string("text"));
  }
  const std::string prefix = alias + ".";
  return keys.size() == 1 ? prefix + quoteIdent(keys[0]) + " " + op + " " + params
                          : "(" + prefixed(prefix, keys) + ") " + op + " (" + params + ")";
}

// The keys after the cursor (when `withCursor`) up to and including the key in the parameters
// that follow: " WHERE k > $n AND k <= $m" for the row aliased `alias`.
std::string keyRange(const Table& table, const std::string& alias, bool withCursor,
                     std::size_t first) {
  std::string range = " WHERE ";
  if (withCursor) {
    range += keyComparison(table, alias, ">", first) + " AND ";
  }
  return range +
         keyComparison(table, alias, "<=", withCursor ? first + table.primaryKey.size() : first);
}

// The batch's last key: at most $1 keys after the cursor, up to the pass's upper bound.
std::string batchEndSql(const PlanContext& ctx, const PlannedTable& pt, bool withCursor) {
  const auto& keys = pt.table->primaryKey;
  return "WITH batch AS (SELECT " + prefixed("s.", keys) + " FROM " + ctx.qualifiedName(pt.name()) +
         " s" + keyRange(*pt.table, "s", withCursor, 2) + " ORDER BY " + prefixed("s.", keys) +
         " LIMIT $1::bigint) SELECT (SELECT count(*) FROM batch)::bigint AS scanned, " +
         prefixed("l.", keys, "::text") + " FROM (SELECT " + prefixed("b.", keys) +
         " FROM batch b ORDER BY " + prefixed("b.", keys, " DESC") + " LIMIT 1) l";
}

// Whether every row of `pt` has its parent row: NOT NULL columns `via` with a validated foreign
// key to exactly the parent's referenced columns.
bool parentGuaranteed(const PlannedTable& pt) {
  if (pt.kind != Kind::Parent) {
    return false;
  }
  for (const auto& column : pt.via) {
    const Column* found = pt.table->findColumn(column);
    if (found == nullptr || !found->notNull) {
      return false;
    }
  }
  for (const ForeignKey& fk : pt.table->foreignKeys) {
    if (fk.validated && fk.referencedTable == pt.parent && fk.columns == pt.via &&
        fk.referencedColumns == pt.referencedColumns) {
      return true;
    }
  }
  return false;
}

// SELECT s.via... of the child rows in the batch's key range that have no tenant yet.
std::string childRowsWithoutTenant(const PlanContext& ctx, const PlannedTable& pt,
                                   bool withCursor) {
  return "SELECT " + prefixed("s.", pt.via) + " FROM " + ctx.qualifiedName(pt.name()) + " s" +
         keyRange(*pt.table, "s", withCursor, 2) + " AND s." + ctx.column() + " IS NULL";
}

// The tenant source's columns that a batch may set to themselves (BackfillTask::touchedColumns):
// not generated or identity columns (they cannot be set), nor partition-key columns.
std::vector<std::string> touchableSourceColumns(const PlanContext& ctx, const PlannedTable& pt) {
  std::vector<std::string> source;
  if (pt.kind == Kind::Parent) {
    source = pt.via;
  } else if (pt.kind == Kind::Column) {
    source = {pt.column};
  }
  std::vector<std::string> touched;
  for (const auto& name : source) {
    const Column* column = pt.table->findColumn(name);
    const auto& partitionKey = pt.table->partitionKey;
    if (column != nullptr && !column->generated && !column->identity &&
        name != ctx.spec.tenant.column &&
        std::find(partitionKey.begin(), partitionKey.end(), name) == partitionKey.end() &&
        std::find(touched.begin(), touched.end(), name) == touched.end()) {
      touched.push_back(name);
    }
  }
  return touched;
}

// `, "c" = t."c"` for each column: assignments that change nothing but the statement's set of
// updated columns.
std::string touches(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& column : columns) {
    out += ", " + quoteIdent(column) + " = t." + quoteIdent(column);
  }
  return out;
}

// Fills the NULL tenant ids of the keys in (cursor, the batch's last key]. A parent's tenant
// comes through a join when every row is known to have its parent (a hash join over the parent
// instead of one index lookup per row: measured, BENCHMARKS.md), else through derivedTenant's
// correlated lookup. The parent rows are read without row locks: the batch holds the parent's
// tenant-move lock (BackfillTask::parentMoveLock), so no parent moves to another tenant between
// the statement's snapshot and the batch's commit. A row the application changes while the
// statement runs is re-checked by PostgreSQL on its new version: with the join, a row whose
// parent key changed no longer joins and stays NULL for the sweep; with the lookup, the new
// parent's tenant is taken. Either way each row gets exactly what derivedTenant describes.
// `touched`: BackfillTask::touchedColumns, or none.
std::string batchSql(const PlanContext& ctx, const PlannedTable& pt, bool withCursor,
                     const std::vector<std::string>& touched) {
  const std::string range = keyRange(*pt.table, "t", withCursor, 2);
  std::string update = "UPDATE " + ctx.qualifiedName(pt.name()) + " t SET " + ctx.column() + " = ";
  if (parentGuaranteed(pt)) {
    const ParentJoin join =
        parentJoinOf(ctx, pt, "t", "$1", childRowsWithoutTenant(ctx, pt, withCursor));
    update +=
        join.tenant + touches(touched) + " FROM " + join.from + range + " AND " + join.condition;
  } else {
    update += derivedTenant(ctx, pt, "t", "$1") + touches(touched) + range;
  }
  return "WITH updated AS (" + update + " AND t." + ctx.column() +
         " IS NULL RETURNING 1) SELECT count(*)::bigint AS updated FROM updated";
}

std::string sweepSql(const PlanContext& ctx, const PlannedTable& pt,
                     const std::vector<std::string>& touched) {
  const std::string qtable = ctx.qualifiedName(pt.name());
  const std::string nullRows =
      " FROM " + qtable + " s WHERE s." + ctx.column() + " IS NULL LIMIT $1::bigint";
  // A ctid is only unique within one relation: a partitioned table's rows are matched on
  // (tableoid, ctid).
  const std::string match =
      pt.table->partitioned ? "(t.tableoid, t.ctid) IN (SELECT s.tableoid, s.ctid" + nullRows + ")"
                            : "t.ctid = ANY (ARRAY(SELECT s.ctid" + nullRows + "))";
  return "WITH updated AS (UPDATE " + qtable + " t SET " + ctx.column() + " = " +
         derivedTenant(ctx, pt, "t", "$2") + touches(touched) + " WHERE " + match + " AND t." +
         ctx.column() + " IS NULL RETURNING 1) SELECT count(*)::bigint AS updated FROM updated";
}

Step backfillStep(const PlanContext& ctx, const PlannedTable& pt) {
  Step step =
      newStep(Phase::Backfill, "backfill/" + pt.name(), pt.name(),
              "fill " + ctx.spec.tenant.column + " of " + pt.name() + " from the " + pt.source +
                  " in batches" +
                  (pt.existingColumn ? " (only rows without one: existing values are kept)" : ""));
  step.execution = Execution::Backfill;
  BackfillTask task;
  task.table = pt.name();
  task.keyColumns = pt.table->primaryKey;
  if (!task.keyColumns.empty()) {
    // Ordered by the qualified key columns: an unqualified name would sort by the text output.
    const std::string descendingKeys = prefixed("s.", pt.table->primaryKey, " DESC");
    task.upperBoundSql = "SELECT " + prefixed("s.", pt.table->primaryKey, "::text") + " FROM " +
                         ctx.qualifiedName(pt.name()) + " s ORDER BY " + descendingKeys +
                         " LIMIT 1";
    task.firstBatchEndSql = batchEndSql(ctx, pt, false);
    task.nextBatchEndSql = batchEndSql(ctx, pt, true);
  }
  task.touchedColumns = touchableSourceColumns(ctx, pt);
  if (!task.keyColumns.empty()) {
    task.firstBatchSql = batchSql(ctx, pt, false, task.touchedColumns);
    task.nextBatchSql = batchSql(ctx, pt, true, task.touchedColumns);
  }
  task.sweepSql = sweepSql(ctx, pt, task.touchedColumns);
  if (!task.touchedColumns.empty()) {
    if (!task.keyColumns.empty()) {
      task.firstBatchSqlUntouched = batchSql(ctx, pt, false, {});
      task.nextBatchSqlUntouched = batchSql(ctx, pt, true, {});
    }
    task.sweepSqlUntouched = sweepSql(ctx, pt, {});
  }
  if (pt.kind == Kind::Parent) {
    task.parentMoveLock = tenantMoveLockKey(ctx, pt.parent);
  }
  task.estimatedRows = pt.table->estimatedRows;
  for (const Table* partition : pt.partitions) {
    task.estimatedRows += partition->estimatedRows;
  }
  step.backfill = std::move(task);
  step.lock = LockLevel::RowExclusive;
  return step;
}

}  // namespace

void addBackfillSteps(const PlanContext& ctx, std::vector<Step>& steps) {
  for (const auto& pt : ctx.tables) {
    if (pt.kind == Kind::Column) {
      steps.push_back(tenantsFromColumnStep(ctx, pt));
    }
    steps.push_back(backfillStep(ctx, pt));
  }
}

}  // namespace tenantshift::plan
