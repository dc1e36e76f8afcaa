#pragma once

#include <string>

#include "plan/planning_context.h"

namespace tenantshift::plan {

// The SQL expression giving a row of `pt` (aliased `alias`) the tenant the backfill derives for
// it: the default tenant, its parent row's tenant, or its source column's value, falling back to
// the default tenant. `defaultParam` is the bind parameter holding the default tenant id as text
// (e.g. "$2"). The parent row is read unlocked: a backfill batch that reads it excludes
// concurrent moves of parents to another tenant with the parent's tenant-move guard instead
// (plan/tenant_move_guard.h).
std::string derivedTenant(const PlanContext& ctx, const PlannedTable& pt, const std::string& alias,
                          const std::string& defaultParam);

// The same derivation as a join, for a table whose tenant comes from its parent (Kind::Parent):
// `UPDATE ... t SET tenant = <tenant> FROM <from> WHERE <condition>` gives every row that has a
// parent row the tenant derivedTenant() gives it. Rows without a parent row are not joined (and
// so not updated): use it only where a validated NOT NULL foreign key guarantees the parent.
struct ParentJoin {
  std::string from;       // "schema"."parent" p
  std::string condition;  // p."id" = t."parent_id" AND ...
  std::string tenant;     // COALESCE(p."tenant_id", $1::uuid)
};
ParentJoin parentJoin(const PlanContext& ctx, const PlannedTable& pt, const std::string& alias,
                      const std::string& defaultParam);

// The same join over only the parent rows of the child rows `childRows` (a SELECT of the child's
// `via` columns, in order). The parents are a subquery the planner keeps apart (OFFSET 0): it
// hashes them and joins the batch's rows to that hash. Pulled up into the UPDATE, it was planned
// as one parent index lookup per row, which made the batches of 1M rows 45% slower
// (BENCHMARKS.md, the tenant-move guard).
ParentJoin parentJoinOf(const PlanContext& ctx, const PlannedTable& pt, const std::string& alias,
                        const std::string& defaultParam, const std::string& childRows);

}  // namespace tenantshift::plan
