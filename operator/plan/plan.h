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
  bool existingColumn = false;  // the table already had the tenant column (values kept)
};

// A query whose non-zero result means `rollback --scenario full` would lose data written since
// the migration began: rows whose tenant differs from what the backfill derivation would give
// them again, or tenants rows the migration did not create (when it created the table). Returns
// one bigint. Parameters are in `query.params`.
struct DataLossCheck {
  std::string what;  // "trades: rows whose tenant_id differs from their parent's"
  Statement query;
};

struct Plan {
  std::vector<TableDecision> decisions;  // in backfill order (parents first)
  std::vector<Step> steps;               // in execution order, phase by phase
  std::vector<std::string> notes;        // things left alone, with why (views, expression keys)
  std::vector<DataLossCheck> dataLossChecks;

  std::vector<const Step*> stepsOf(Phase phase) const;
  const Step* findStep(const std::string& id) const;
};

}  // namespace tenantshift::plan
