#pragma once

#include <string>
#include <vector>

#include "plan/step.h"

namespace tenantshift::plan {

// How the planner decided where one table's tenant comes from, for people to read.
struct TableDecision {
  std::string table;
  std::string source;  // "default tenant", "parent users via (user_id)", "column store_id", ...
  std::string reason;  // why: "listed in spec.tables", "NOT NULL foreign key trades_user_id_fkey"
  bool existingColumn = false;   // the table already had the tenant column (values kept)
  std::string sourceForeignKey;  // the foreign key followed, for a parent source ("" otherwise)
  std::string parent;            // its parent table, for a parent source
  bool nullableSource = false;   // rows whose foreign key is NULL get the default tenant
  // Other foreign keys to tenant tables that could have been the source, each with why it was
  // not chosen: "rentals_staff_id_fkey to staff: ranks after ... (rule: ...)".
  std::vector<std::string> alternatives;
  std::vector<std::string> crossTenantRefs;  // accepted by spec.tables[].crossTenantRefs
  std::vector<std::string> partitions;       // every partition below it, at every level
};

// An index of a tenant table that the plan rebuilds to lead with the tenant column: the new
// index is built CONCURRENTLY in the constraints phase; the old one stays until the feature flag
// is on (the unchanged application's queries and ON CONFLICT targets need it) and is dropped by
// the flag phase's finalize step, which gives the new one the old name.
struct IndexReplacement {
  std::string table;
  std::string index;        // the original index (or unique constraint) name
  std::string replacement;  // the new index, until it takes the original name
  bool unique = false;
  bool constraint = false;  // the original is a UNIQUE constraint
};

// A query whose non-zero result means `rollback --scenario full` would lose data written since
// the migration began: rows whose tenant differs from what the backfill derivation would give
// them again, or tenants rows the migration did not create (when it created the table). Returns
// one bigint. Parameters are in `query.params`.
struct DataLossCheck {
  std::string what;  // "trades: rows whose tenant_id differs from their parent's"
  Statement query;
};

// A statement the engine tries before the migration's first change, in a transaction it rolls
// back: when it fails for a reason in the data or the schema (SQLSTATE class 22 or 23: a CHECK,
// NOT NULL, unique or width violation), the run is refused, naming `field` (the spec field that
// fixes it) with `what` and `hint`, and nothing is changed.
struct Preflight {
  std::string what;   // "a new tenants row for a new value of stores.org_no"
  std::string field;  // "spec.tenant.newTenantRow"
  std::string hint;   // what to do
  Statement statement;
};

struct Plan {
  std::vector<TableDecision> decisions;  // in backfill order (parents first)
  std::vector<Step> steps;               // in execution order, phase by phase
  std::vector<std::string> notes;        // things left alone, with why (views, expression keys)
  std::vector<DataLossCheck> dataLossChecks;
  std::vector<IndexReplacement> indexReplacements;
  std::vector<Preflight> preflights;

  std::vector<const Step*> stepsOf(Phase phase) const;
  const Step* findStep(const std::string& id) const;
  const TableDecision* findDecision(const std::string& table) const;
};

}  // namespace tenantshift::plan
