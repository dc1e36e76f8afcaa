#include "plan/partitioned_ddl.h"

#include <algorithm>

#include "api/joined.h"
#include "plan/catalog_checks.h"
#include "plan/object_names.h"
#include "plan/sql_identifier.h"

namespace tenantshift::plan {

namespace {

template <typename Key>
IndexShape shapeFrom(const Key& key, bool unique) {
  IndexShape shape;
  shape.unique = unique;
  shape.method = key.method;
  shape.keys = key.keyDefinitions;
  shape.include = key.includeColumns;
  shape.nullsNotDistinct = key.nullsNotDistinct;
  shape.predicate = key.predicate;
  return shape;
}

IndexShape withTenantFirst(const PlanContext& ctx, IndexShape shape) {
  shape.keys.insert(shape.keys.begin(), ctx.column());
  return shape;
}

const Table& tableNamed(const PlanContext& ctx, const std::string& name) {
  const Table* table = ctx.catalog.findTable(name);
  if (table == nullptr) {
    throw std::logic_error("planned table missing from the catalog: " + name);
  }
  return *table;
}

}  // namespace

IndexShape shapeOf(const Index& index) {
  return shapeFrom(index, index.unique);
}

IndexShape shapeOf(const UniqueKey& key) {
  return shapeFrom(key, true);
}

IndexShape leadingWithTenant(const PlanContext& ctx, const Index& index) {
  return withTenantFirst(ctx, shapeOf(index));
}

IndexShape leadingWithTenant(const PlanContext& ctx, const UniqueKey& key) {
  return withTenantFirst(ctx, shapeOf(key));
}

std::string createIndexSql(const PlanContext& ctx, const std::string& table,
                           const std::string& name, const IndexShape& shape, IndexBuild build) {
  std::string sql = std::string("CREATE ") + (shape.unique ? "UNIQUE " : "") + "INDEX ";
  if (build == IndexBuild::Concurrently) {
    sql += "CONCURRENTLY " + quoteIdent(name) + " ON " + ctx.qualifiedName(table);
  } else {
    sql += "IF NOT EXISTS " + quoteIdent(name) +
           (build == IndexBuild::OnlyThisTable ? " ON ONLY " : " ON ") + ctx.qualifiedName(table);
  }
  sql += " USING " + quoteIdent(shape.method) + " (" + api::joined(shape.keys) + ")";
  if (!shape.include.empty()) {
    sql += " INCLUDE (" + quoteIdentList(shape.include) + ")";
  }
  if (shape.nullsNotDistinct) {
    sql += " NULLS NOT DISTINCT";
  }
  if (!shape.predicate.empty()) {
    sql += " WHERE " + shape.predicate;
  }
  return sql;
}

std::string partitionIndexName(const std::string& index, const std::string& partition) {
  return boundedName(index + "_" + partition, "");
}

std::vector<const Table*> leavesOf(const PlanContext& ctx, const std::string& table) {
  const Table& t = tableNamed(ctx, table);
  if (!t.partitioned) {
    return {&t};
  }
  std::vector<const Table*> leaves;
  for (const Table* partition : ctx.catalog.partitionsOf(table)) {
    if (!partition->partitioned) {
      leaves.push_back(partition);
    }
  }
  return leaves;
}

namespace {

// CREATE INDEX CONCURRENTLY `index` on the ordinary table (or leaf partition) `on`, dropping an
// INVALID leftover of a failed build first.
Step concurrentBuildStep(const PlanContext& ctx, Phase phase, const std::string& id,
                         const std::string& on, const std::string& index, const IndexShape& shape,
                         const std::string& purpose) {
  Step step = newStep(phase, id, on,
                      "build the " + std::string(shape.unique ? "unique " : "") + "index " + index +
                          " on " + on + " CONCURRENTLY (" + purpose +
                          "; writes continue; an invalid leftover is rebuilt)");
  step.execution = Execution::Concurrent;
  step.appliedCheck = validIndexExists(ctx, index);
  step.up.push_back(
      concurrentIndexStatement("DROP INDEX CONCURRENTLY IF EXISTS " + ctx.qualifiedName(index)));
  step.up.push_back(
      concurrentIndexStatement(createIndexSql(ctx, on, index, shape, IndexBuild::Concurrently)));
  step.downExecution = Execution::Concurrent;
  step.down.push_back(
      concurrentIndexStatement("DROP INDEX CONCURRENTLY IF EXISTS " + ctx.qualifiedName(index)));
  step.lock = LockLevel::ShareUpdateExclusive;
  return step;
}

// A step whose up adds constraint `name` to `table`: done once it exists, undone by dropping it.
void addsConstraint(const PlanContext& ctx, Step& step, const std::string& table,
                    const std::string& name, LockLevel lock) {
  step.appliedCheck = constraintExists(ctx, table, name);
  step.down.push_back(statement("ALTER TABLE " + ctx.qualifiedName(table) +
                                " DROP CONSTRAINT IF EXISTS " + quoteIdent(name)));
  step.lock = lock;
}

}  // namespace

Statement addConstraintIfMissing(const PlanContext& ctx, const std::string& table,
                                 const std::string& name, const std::string& definition) {
  return statement("DO " + dollarQuoted("BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint "
                                        "WHERE conrelid = pg_catalog.to_regclass(" +
                                        quoteLiteral(ctx.regclassText(table)) + ") AND conname = " +
                                        quoteLiteral(name) + ") THEN ALTER TABLE " +
                                        ctx.qualifiedName(table) + " ADD CONSTRAINT " +
                                        quoteIdent(name) + " " + definition + "; END IF; END"));
}

std::string uniqueConstraintDefinition(const std::vector<std::string>& columns,
                                       const std::vector<std::string>& include,
                                       bool nullsNotDistinct, const std::string& deferral) {
  std::string sql = std::string("UNIQUE ") + (nullsNotDistinct ? "NULLS NOT DISTINCT " : "") + "(" +
                    quoteIdentList(columns) + ")";
  if (!include.empty()) {
    sql += " INCLUDE (" + quoteIdentList(include) + ")";
  }
  return sql + deferral;
}

std::vector<Step> uniqueConstraintBuildSteps(const PlanContext& ctx, Phase phase,
                                             const std::string& idPrefix, const std::string& table,
                                             const std::string& name,
                                             const std::vector<std::string>& columns,
                                             const IndexShape& shape, const std::string& deferral,
                                             const std::string& purpose) {
  const std::vector<const Table*> leaves = leavesOf(ctx, table);
  std::vector<Step> steps;
  steps.reserve(leaves.size() + 1);
  for (const Table* leaf : leaves) {
    steps.push_back(concurrentBuildStep(ctx, phase, idPrefix + "/" + leaf->name, leaf->name,
                                        partitionIndexName(name, leaf->name), shape, purpose));
  }
  Step constrain = newStep(phase, idPrefix, table,
                           "make each partition's index a unique constraint, then add the unique "
                           "constraint " +
                               name + " to the partitioned table " + table +
                               ", which attaches them (" + purpose + "; no build)");
  for (const Table* leaf : leaves) {
    const std::string index = partitionIndexName(name, leaf->name);
    constrain.up.push_back(addConstraintIfMissing(
        ctx, leaf->name, index, "UNIQUE USING INDEX " + quoteIdent(index) + deferral));
  }
  constrain.up.push_back(addConstraintIfMissing(
      ctx, table, name,
      uniqueConstraintDefinition(columns, shape.include, shape.nullsNotDistinct, deferral)));
  addsConstraint(ctx, constrain, table, name, LockLevel::Share);
  steps.push_back(constrain);
  return steps;
}

std::vector<Step> indexBuildSteps(const PlanContext& ctx, Phase phase, const std::string& idPrefix,
                                  const std::string& table, const std::string& name,
                                  const IndexShape& shape, const std::string& purpose) {
  auto concurrent = [&](const std::string& id, const std::string& on, const std::string& index) {
    return concurrentBuildStep(ctx, phase, id, on, index, shape, purpose);
  };
  const Table& t = tableNamed(ctx, table);
  if (!t.partitioned) {
    return {concurrent(idPrefix, table, name)};
  }
  std::vector<Step> steps;
  const std::vector<const Table*> partitions = ctx.catalog.partitionsOf(table);
  for (const Table* partition : partitions) {
    if (!partition->partitioned) {
      steps.push_back(concurrent(idPrefix + "/" + partition->name, partition->name,
                                 partitionIndexName(name, partition->name)));
    }
  }
  Step attach = newStep(phase, idPrefix, table,
                        "create the index " + name + " on the partitioned table " + table +
                            " from its partitions' indexes (" + purpose + "; no build)");
  attach.appliedCheck = validIndexExists(ctx, name);
  attach.up.push_back(
      statement(createIndexSql(ctx, table, name, shape, IndexBuild::OnlyThisTable)));
  for (const Table* partition : partitions) {
    if (partition->partitioned) {
      attach.up.push_back(
          statement(createIndexSql(ctx, partition->name, partitionIndexName(name, partition->name),
                                   shape, IndexBuild::OnlyThisTable)));
    }
  }
  // Bottom-up: a partitioned partition's index is valid (and may be attached) once all of its
  // own partitions' indexes are.
  for (auto it = partitions.rbegin(); it != partitions.rend(); ++it) {
    const Table* partition = *it;
    const std::string parentIndex =
        *partition->partitionOf == table ? name : partitionIndexName(name, *partition->partitionOf);
    attach.up.push_back(statement("ALTER INDEX " + ctx.qualifiedName(parentIndex) +
                                  " ATTACH PARTITION " +
                                  ctx.qualifiedName(partitionIndexName(name, partition->name))));
  }
  attach.down.push_back(statement("DROP INDEX IF EXISTS " + ctx.qualifiedName(name)));
  attach.lock = LockLevel::Share;
  steps.push_back(attach);
  return steps;
}

Statement lockParentFirst(const PlanContext& ctx, const std::string& referenced,
                          const std::string& table, const std::string& mode) {
  return statement("LOCK TABLE " + ctx.qualifiedName(referenced) + ", " + ctx.qualifiedName(table) +
                   " IN " + mode + " MODE");
}

std::vector<Step> constraintNotValidSteps(const PlanContext& ctx, Phase phase,
                                          const std::string& idPrefix, const std::string& table,
                                          const std::string& referenced, const std::string& name,
                                          const std::string& definition,
                                          const std::string& purpose) {
  std::vector<Step> steps;
  const bool partitioned = tableNamed(ctx, table).partitioned;
  for (const Table* leaf : leavesOf(ctx, table)) {
    Step step = newStep(phase, partitioned ? idPrefix + "/" + leaf->name : idPrefix, leaf->name,
                        "add " + name + " to " + leaf->name + " as NOT VALID (" + purpose +
                            "; new rows are checked, existing rows later)");
    step.up.push_back(lockParentFirst(ctx, referenced, leaf->name, "SHARE ROW EXCLUSIVE"));
    step.up.push_back(statement("ALTER TABLE " + ctx.qualifiedName(leaf->name) +
                                " ADD CONSTRAINT " + quoteIdent(name) + " " + definition +
                                " NOT VALID"));
    step.appliedCheck = constraintExists(ctx, leaf->name, name);
    step.down.push_back(statement("ALTER TABLE " + ctx.qualifiedName(leaf->name) +
                                  " DROP CONSTRAINT IF EXISTS " + quoteIdent(name)));
    step.lock = LockLevel::ShareRowExclusive;
    steps.push_back(step);
  }
  return steps;
}

std::vector<Step> constraintValidateSteps(const PlanContext& ctx, Phase phase,
                                          const std::string& idPrefix, const std::string& table,
                                          const std::string& referenced, const std::string& name,
                                          const std::string& definition,
                                          const std::string& purpose) {
  std::vector<Step> steps;
  const bool partitioned = tableNamed(ctx, table).partitioned;
  for (const Table* leaf : leavesOf(ctx, table)) {
    Step step = newStep(phase, partitioned ? idPrefix + "/" + leaf->name : idPrefix, leaf->name,
                        "validate " + name + " of " + leaf->name + " (" + purpose +
                            "; scans the table, writes continue)");
    step.up.push_back(statement("ALTER TABLE " + ctx.qualifiedName(leaf->name) +
                                " VALIDATE CONSTRAINT " + quoteIdent(name)));
    step.lock = LockLevel::ShareUpdateExclusive;
    steps.push_back(step);
  }
  if (partitioned) {
    Step step = newStep(phase, idPrefix, table,
                        "add " + name + " to the partitioned table " + table +
                            ", attaching its partitions' validated constraints (" + purpose +
                            "; partitions created later get it too)");
    step.up.push_back(lockParentFirst(ctx, referenced, table, "SHARE ROW EXCLUSIVE"));
    step.up.push_back(statement("ALTER TABLE " + ctx.qualifiedName(table) + " ADD CONSTRAINT " +
                                quoteIdent(name) + " " + definition));
    addsConstraint(ctx, step, table, name, LockLevel::ShareRowExclusive);
    steps.push_back(step);
  }
  return steps;
}

}  // namespace tenantshift::plan
