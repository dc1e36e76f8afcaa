#pragma once

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// What gives a row written by the unchanged application its tenant, from the schema phase on:
// - a default-tenant table: a column default (the session's tenant, else the default tenant);
// - a parent-derived table: a trigger. On INSERT without a tenant: the session's tenant, else the
//   parent row's tenant (NULL while the parent is not backfilled yet: the backfill, which runs
//   parents first, then fills it; never a guess), else (no parent) the default tenant. On an
//   UPDATE that moves the row to another parent without setting the tenant itself: the same
//   derivation again, so that re-parenting re-derives the tenant before and after the flag;
// - a column-sourced table: a trigger giving the row the column's value (creating the tenants
//   row when it is missing, fitted to the tenants table's shape), also when an UPDATE changes
//   the column; without a value, the session's tenant, else the default.
// A table that already had the tenant column keeps the application's values: its trigger only
// fills a missing tenant on INSERT.
// The trigger functions are SECURITY DEFINER with a fixed search_path: they read the parent and
// create tenants rows whatever the application role may see, and their bodies are dollar-quoted
// with a tag that no identifier in them contains.
Step tenantAssignmentStep(const PlanContext& ctx, const PlannedTable& pt);

// A row trigger tenantshift creates, and its function.
struct RowTrigger {
  std::string table;     // unqualified, in the migration's schema
  std::string name;      // of the trigger
  std::string function;  // unqualified, created in the migration's schema
  std::string body;      // plpgsql, without the dollar quotes
  std::string events;    // "BEFORE INSERT OR UPDATE OF a, b"
  std::string when;      // the WHEN condition, or empty
};

// Adds to `step` the statements that create `trigger` (its function SECURITY DEFINER with a
// fixed search_path, not executable by PUBLIC) and the down statements that drop both, and
// sets the step's lock level (CREATE OR REPLACE TRIGGER from PostgreSQL 14 on).
void addRowTrigger(const PlanContext& ctx, Step& step, const RowTrigger& trigger);

}  // namespace tenantshift::plan
