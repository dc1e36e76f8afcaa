#include "plan/backfill_steps.h"

#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_expression.h"
#include "plan/tenants_rows.h"

namespace tenantshift::plan {

namespace {

using Kind = api::TenantSource::Kind;

Step tenantsFromColumnStep(const PlanContext& ctx, const PlannedTable& pt) {
  Step step = newStep(Phase::Backfill, "backfill/tenants-from-column/" + pt.name(), pt.name(),
                      "create a tenants row for every distinct " + pt.column + " of " + pt.name() +
                          " that has none");
  const std::string source = "s." + quoteIdent(pt.column) + "::" + ctx.idType;
  const TenantsRow row = tenantsRowFromId(ctx, source);
  step.up.push_back(statement("INSERT INTO " + ctx.qualifiedName(ctx.tenants.name) + " (" +
                              row.columns + ") SELECT DISTINCT " + row.values + " FROM " +
                              ctx.qualifiedName(pt.name()) + " s" +
                              defaultRowSource(ctx, row, "JOIN") + " WHERE s." +
                              quoteIdent(pt.column) + " IS NOT NULL ON CONFLICT DO NOTHING"));
  // ACCESS SHARE on the table read, ROW EXCLUSIVE on the tenants table.
  step.lock = LockLevel::RowExclusive;
  return step;
}

// "t"."a" = b."a" AND ...
std::string keyJoin(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& key : keys) {
    out += (out.empty() ? "" : " AND ") + std::string("t.") + quoteIdent(key) + " = b." +
           quoteIdent(key);
  }
  return out;
}

std::string prefixed(const std::string& prefix, const std::vector<std::string>& keys,
                     const std::string& suffix = "") {
  std::string out;
  for (const auto& key : keys) {
    out.append(out.empty() ? "" : ", ").append(prefix).append(quoteIdent(key)).append(suffix);
  }
  return out;
}

// (k1, k2) > ($3::t1, $4::t2), or k > $3::t for a single key: `op` against parameters from `first`.
std::string keyComparison(const Table& table, const std::string& op, std::size_t first) {
  const auto& keys = table.primaryKey;
  std::string params;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const Column* column = table.findColumn(keys[i]);
    params += (params.empty() ? "" : ", ") + std::string("$") + std::to_string(first + i) +
              "::" + (column ? column->type : std::string("text"));
  }
  return keys.size() == 1 ? "s." + quoteIdent(keys[0]) + " " + op + " " + params
                          : "(" + prefixed("s.", keys) + ") " + op + " (" + params + ")";
}

std::string batchSql(const PlanContext& ctx, const PlannedTable& pt, bool withCursor) {
  const Table& table = *pt.table;
  const auto& keys = table.primaryKey;
  const std::string qtable = ctx.qualifiedName(table.name);
  std::string range = " WHERE ";
  if (withCursor) {
    range += keyComparison(table, ">", 3) + " AND ";
  }
  range += keyComparison(table, "<=", withCursor ? 3 + keys.size() : 3);
  return "WITH batch AS (SELECT " + prefixed("s.", keys) + " FROM " + qtable + " s" + range +
         " ORDER BY " + prefixed("s.", keys) + " LIMIT $1::bigint), updated AS (UPDATE " + qtable +
         " t SET " + ctx.column() + " = " + derivedTenant(ctx, pt, "t", "$2") +
         " FROM batch b WHERE " + keyJoin(keys) + " AND t." + ctx.column() +
         " IS NULL RETURNING 1), last AS (SELECT " + prefixed("b.", keys) +
         " FROM batch b ORDER BY " + prefixed("b.", keys, " DESC") +
         " LIMIT 1) SELECT (SELECT count(*) FROM updated)::bigint AS updated, "
         "(SELECT count(*) FROM batch)::bigint AS scanned, " +
         prefixed("last.", keys, "::text") + " FROM last";
}

std::string sweepSql(const PlanContext& ctx, const PlannedTable& pt) {
  const std::string qtable = ctx.qualifiedName(pt.name());
  const std::string nullRows =
      " FROM " + qtable + " s WHERE s." + ctx.column() + " IS NULL LIMIT $1::bigint";
  // A ctid is only unique within one relation: a partitioned table's rows are matched on
  // (tableoid, ctid).
  const std::string match =
      pt.table->partitioned ? "(t.tableoid, t.ctid) IN (SELECT s.tableoid, s.ctid" + nullRows + ")"
                            : "t.ctid = ANY (ARRAY(SELECT s.ctid" + nullRows + "))";
  return "WITH updated AS (UPDATE " + qtable + " t SET " + ctx.column() + " = " +
         derivedTenant(ctx, pt, "t", "$2") + " WHERE " + match + " AND t." + ctx.column() +
         " IS NULL RETURNING 1) SELECT count(*)::bigint AS updated FROM updated";
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
    task.firstBatchSql = batchSql(ctx, pt, false);
    task.nextBatchSql = batchSql(ctx, pt, true);
  }
  task.sweepSql = sweepSql(ctx, pt);
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
