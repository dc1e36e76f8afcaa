#pragma once

#include <string>
#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// What CREATE INDEX needs to build an index: its key definitions as PostgreSQL deparses them
// (collation, operator class and ordering included), INCLUDE columns, NULLS NOT DISTINCT and the
// partial index predicate.
struct IndexShape {
  bool unique = false;
  std::string method = "btree";
  std::vector<std::string> keys;     // SQL, already quoted/deparsed
  std::vector<std::string> include;  // column names
  bool nullsNotDistinct = false;
  std::string predicate;  // deparsed, empty when none
};

// The shape of an existing index (or unique key) with the tenant column put first.
IndexShape leadingWithTenant(const PlanContext& ctx, const Index& index);
IndexShape leadingWithTenant(const PlanContext& ctx, const UniqueKey& key);
// The shape of an existing index, unchanged (to rebuild it on rollback).
IndexShape shapeOf(const Index& index);
IndexShape shapeOf(const UniqueKey& key);

// Concurrently: CREATE INDEX CONCURRENTLY (an ordinary table); OnlyThisTable: CREATE INDEX IF NOT
// EXISTS ... ON ONLY (a partitioned table, partitions attached later); Everywhere: CREATE INDEX IF
// NOT EXISTS on the table and all its partitions (a SHARE lock while it builds).
enum class IndexBuild { Concurrently, OnlyThisTable, Everywhere };
std::string createIndexSql(const PlanContext& ctx, const std::string& table,
                           const std::string& name, const IndexShape& shape, IndexBuild build);

// The name of the index a partition gets as its part of the partitioned index `index`.
std::string partitionIndexName(const std::string& index, const std::string& partition);

// Steps that build index `name` on `table` without blocking writes: CREATE INDEX CONCURRENTLY on
// an ordinary table (an INVALID leftover of a failed build is dropped first); on a partitioned
// table (any depth), CONCURRENTLY on each leaf partition, then the partitioned tables' indexes ON
// ONLY, attached bottom-up (no build). Step ids start with `idPrefix`.
std::vector<Step> indexBuildSteps(const PlanContext& ctx, Phase phase, const std::string& idPrefix,
                                  const std::string& table, const std::string& name,
                                  const IndexShape& shape, const std::string& purpose);

// DO: when `table` has no constraint `name`, ALTER TABLE table ADD CONSTRAINT name `definition`
// (idempotent: a rerun after it was added changes nothing).
Statement addConstraintIfMissing(const PlanContext& ctx, const std::string& table,
                                 const std::string& name, const std::string& definition);

// UNIQUE [NULLS NOT DISTINCT] (columns) [INCLUDE (...)]`deferral` (" DEFERRABLE ...", or ""): what
// follows ADD CONSTRAINT name.
std::string uniqueConstraintDefinition(const std::vector<std::string>& columns,
                                       const std::vector<std::string>& include,
                                       bool nullsNotDistinct, const std::string& deferral);

// Steps that give the partitioned `table` (any depth) the unique constraint `name` on `columns`
// without blocking writes: `shape` built CONCURRENTLY on each leaf partition, each leaf's index
// made a constraint of the leaf (USING INDEX), then the constraint added to the partitioned
// table, which attaches the leaves' constraints (no build; PostgreSQL creates the intermediate
// levels' indexes). PostgreSQL refuses ADD CONSTRAINT ... USING INDEX on a partitioned table,
// and attaches only a leaf index that is a constraint already to a constraint's index.
std::vector<Step> uniqueConstraintBuildSteps(const PlanContext& ctx, Phase phase,
                                             const std::string& idPrefix, const std::string& table,
                                             const std::string& name,
                                             const std::vector<std::string>& columns,
                                             const IndexShape& shape, const std::string& deferral,
                                             const std::string& purpose);

// A foreign key constraint `name` of `table` to `referenced`, `definition` being what follows
// ADD CONSTRAINT name (e.g. "FOREIGN KEY (a) REFERENCES s.t (id)"), added NOT VALID: on an
// ordinary table directly; on a partitioned table to each leaf partition (PostgreSQL 15 refuses
// NOT VALID foreign keys on partitioned tables). Each step locks the referenced table before the
// referencing one, the order in which an application writes a parent and then its child, so that
// the two never deadlock.
std::vector<Step> constraintNotValidSteps(const PlanContext& ctx, Phase phase,
                                          const std::string& idPrefix, const std::string& table,
                                          const std::string& referenced, const std::string& name,
                                          const std::string& definition,
                                          const std::string& purpose);
// Validates it (scans, writes continue); on a partitioned table each leaf's, then the constraint
// is added to the partitioned table, which attaches the validated leaf constraints (no scan) so
// that partitions created later get it too.
std::vector<Step> constraintValidateSteps(const PlanContext& ctx, Phase phase,
                                          const std::string& idPrefix, const std::string& table,
                                          const std::string& referenced, const std::string& name,
                                          const std::string& definition,
                                          const std::string& purpose);

// LOCK TABLE referenced, then table, IN `mode`: the referenced (parent) table first.
Statement lockParentFirst(const PlanContext& ctx, const std::string& referenced,
                          const std::string& table, const std::string& mode);

// The leaf partitions of `table` at every level, or the table itself when not partitioned.
std::vector<const Table*> leavesOf(const PlanContext& ctx, const std::string& table);

}  // namespace tenantshift::plan
