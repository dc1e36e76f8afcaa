#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/planning_context.h"

namespace tenantshift::plan {

// The columns and values of a new row of the tenants table whose id is the SQL expression
// `idExpr` (of the tenant id type), fitted to the table's real shape:
// - a column spec.tenant.newTenantRow names: its value template, with {id} the id as text and
//   {id:letters} the id in letters (quoted literals around the id: a value, never SQL), cast to
//   the column's type;
// - otherwise slug and name (when the table has them): the id as text and "Tenant <id>", and every
//   other text column that is NOT NULL without a default and unique: the id as text;
// - every other NOT NULL column without a default (a region, a plan, ...): copied from the
//   default tenant's row, which the values then read as `d` (fromDefaultRow).
// Text values are cut to the column's width (varchar(n)) with a hash suffix so that cut values
// stay distinct. Used wherever the engine creates tenants: tenants taken from a column (backfill
// and trigger), and the preflight that tries one before the migration changes anything.
// `disambiguated`: each text column unique on its own gets a suffix that differs on every call
// (a hash of the id and the time), for the one retry after such a value was taken already.
struct TenantsRow {
  std::string columns;
  std::string values;
  bool fromDefaultRow = false;
};
TenantsRow tenantsRowFromId(const PlanContext& ctx, const std::string& idExpr,
                            bool disambiguated = false);

// " JOIN <tenants> d ON d.<id> = <default id>": what a TenantsRow with fromDefaultRow reads
// (empty otherwise). `keyword` is "JOIN" after a FROM item or "FROM" when there is none.
std::string defaultRowSource(const PlanContext& ctx, const TenantsRow& row,
                             const std::string& keyword);

// " ON CONFLICT (<id>) DO NOTHING": a tenant that exists already (or that a concurrent session
// creates) is kept as it is; a clash on any other unique column is an error, never a skipped row
// that the tenant foreign key would then refuse.
std::string onExistingTenant(const PlanContext& ctx);

// INSERT of a tenants row for every distinct non-NULL value of `pt`'s tenant column that has none
// (the backfill's step, and what the preflight tries).
std::string tenantsFromColumnSql(const PlanContext& ctx, const PlannedTable& pt);

// spec.tenant.newTenantRow fits the tenants table: each column exists and may be written, and a
// column unique on its own has a template that depends on the id. Throws api::SpecError.
void checkNewTenantRow(const PlanContext& ctx);

// When the plan creates tenants rows (column-sourced tables) in an existing tenants table: the
// rows for the existing values, and one for a new id, tried before any change.
std::vector<Preflight> tenantsRowPreflights(const PlanContext& ctx);

// `textExpr` cut to `maxLength` characters (0: unbounded), keeping distinct values distinct.
std::string fittedText(const std::string& textExpr, int maxLength);

}  // namespace tenantshift::plan
