#pragma once

#include <string>

#include "plan/planning_context.h"

namespace tenantshift::plan {

// The columns and values of a new row of the tenants table whose id is the SQL expression
// `idExpr` (of the tenant id type), fitted to the table's real shape:
// - slug and name (when the table has them): the id as text and "Tenant <id>", and every other
//   text column that is NOT NULL without a default and unique: the id as text; each cut to the
//   column's width (varchar(n)) with a hash suffix so that cut values stay distinct;
// - every other NOT NULL column without a default (a region, a plan, ...): copied from the
//   default tenant's row, which the values then read as `d` (fromDefaultRow).
// Used wherever the engine creates tenants: tenants taken from a column (backfill and trigger).
struct TenantsRow {
  std::string columns;
  std::string values;
  bool fromDefaultRow = false;
};
TenantsRow tenantsRowFromId(const PlanContext& ctx, const std::string& idExpr);

// " JOIN <tenants> d ON d.<id> = <default id>": what a TenantsRow with fromDefaultRow reads
// (empty otherwise). `keyword` is "JOIN" after a FROM item or "FROM" when there is none.
std::string defaultRowSource(const PlanContext& ctx, const TenantsRow& row,
                             const std::string& keyword);

// `textExpr` cut to `maxLength` characters (0: unbounded), keeping distinct values distinct.
std::string fittedText(const std::string& textExpr, int maxLength);

}  // namespace tenantshift::plan
