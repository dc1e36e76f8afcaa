#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/migration_spec.h"

namespace tenantshift::plan {

enum class Phase { Schema, Backfill, Constraints, Rls, Verify, Flag };
inline constexpr std::array<Phase, 6> kPhases = {Phase::Schema, Phase::Backfill, Phase::Constraints,
                                                 Phase::Rls,    Phase::Verify,   Phase::Flag};
std::string_view toString(Phase phase);
std::optional<Phase> phaseFromString(std::string_view name);
// Where `phase` is in kPhases (schema 0 ... flag 5), and whether `a` runs before `b`.
std::size_t phaseIndex(Phase phase);
bool isBefore(Phase a, Phase b);

// The strongest table lock a step takes (PostgreSQL's lock modes, weakest first).
enum class LockLevel {
  None,
  AccessShare,
  RowShare,
  RowExclusive,
  ShareUpdateExclusive,
  Share,
  ShareRowExclusive,
  Exclusive,
  AccessExclusive,
};
std::string_view toString(LockLevel level);

enum class DataLossRisk { None, Medium, High };
std::string_view toString(DataLossRisk risk);

// One SQL statement. Identifiers in `sql` are quoted by the planner; values travel as bind
// parameters ($1, $2, ...), all passed as text and cast in the SQL. DDL cannot take parameters,
// so the few literals DDL needs (a column default, a policy's setting name) are quoted literals.
struct Statement {
  std::string sql;
  std::vector<std::string> params;
  // CREATE/DROP INDEX CONCURRENTLY: besides its SHARE UPDATE EXCLUSIVE lock (which never blocks
  // the application's reads and writes) it waits for every older transaction to end, so it runs
  // under spec.ddl.indexBuildTimeout instead of spec.ddl.lockTimeout.
  bool concurrentIndex = false;
};

enum class Execution {
  Transactional,  // all statements in one transaction, with the ledger update
  Concurrent,     // one statement at a time outside a transaction (CREATE INDEX CONCURRENTLY)
  Backfill,       // the engine's batched backfill loop, driven by `backfill`
  Verify,         // the engine's isolation verifier
  FlagSwitch,     // the engine's feature-flag switch, driven by `flagSwitch` (no SQL)
};
std::string_view toString(Execution execution);

// What the engine's backfill loop runs for one table. k = the number of key columns; all values
// travel as text and are cast in the SQL.
// The keyset pass runs from the start of the key order to the upper bound: the key of the
// table's last row when the pass starts (upperBoundSql: one text column per key column, no row
// for an empty table). Rows inserted after it already get their tenant from the column default
// or trigger, so the pass never chases the application's inserts; the sweep catches any row that
// still has none. One batch is two statements in one transaction (with its cursor):
//  1. firstBatchEndSql / nextBatchEndSql find the batch's last key: $1 = batch size (bigint);
//     first: $2..$(1+k) = the upper bound; next: $2..$(1+k) = the cursor (the previous batch's
//     last key), $(2+k)..$(1+2k) = the upper bound. They return no row (the pass is over) or one
//     row: scanned bigint (the keys in the batch), then one text column per key column.
//  2. firstBatchSql / nextBatchSql fill the NULL tenant ids of the keys in the batch: $1 = the
//     default tenant id; first: $2..$(1+k) = the batch's last key; next: $2..$(1+k) = the
//     cursor, $(2+k)..$(1+2k) = the batch's last key. They return one row: updated bigint.
// Two statements, so that the update's key range is two known constants: PostgreSQL then plans
// a range scan with the right row estimate whatever the batch size (a range ending at a key
// computed in the same statement is estimated at a third of the table, and planned as a
// sequential scan of all of it on large tables).
// sweepSql fills NULL tenant ids left behind by concurrent writes ($1 = batch size, $2 = the
// default tenant id; returns one row: updated bigint); the engine repeats it until it updates
// nothing.
struct BackfillTask {
  std::string table;
  std::vector<std::string> keyColumns;  // empty: no primary key, only sweepSql is used
  std::string upperBoundSql;
  std::string firstBatchEndSql;
  std::string nextBatchEndSql;
  std::string firstBatchSql;
  std::string nextBatchSql;
  std::string sweepSql;
  // The tenant source's columns of the table (the parent's foreign key, or the column the tenant
  // comes from) that the three statements above also set to themselves (`"user_id" =
  // t."user_id"`). PostgreSQL then does not pass its indexes the "unchanged key" hint, whose
  // bottom-up deletion otherwise runs on nearly every insert into an index in random order (a
  // foreign key's) once earlier batches' old row versions are dead: 2 to 3 times the cost of a
  // row (measured, BENCHMARKS.md). Empty when no column qualifies (generated, identity and
  // partition-key columns never do).
  std::vector<std::string> touchedColumns;
  // The three statements without that, for a table where a trigger that fires for the backfill's
  // updates is declared UPDATE OF one of touchedColumns: setting them would fire it. The runner
  // checks before the step. Empty when touchedColumns is.
  std::string firstBatchSqlUntouched;
  std::string nextBatchSqlUntouched;
  std::string sweepSqlUntouched;
  std::int64_t estimatedRows = 0;
  // For a table whose tenant comes from its parent: the second half of the advisory lock key
  // (with kTenantMoveLockClass) every batch and sweep takes exclusively before its statement, so
  // that no parent moves to another tenant under it (tenant_move_guard.h).
  std::optional<std::int32_t> parentMoveLock;
};

// A feature flag outside the database (spec.featureFlag.configMap or .deployment): the engine
// sets it through the Kubernetes API, to `on` for the step's up and to `off` for its down, and
// for a Deployment waits until the rollout that starts is complete.
using FlagSwitch = std::variant<api::ConfigMapFeatureFlag, api::DeploymentFeatureFlag>;

struct Step {
  std::string id;  // stable and unique in the plan, e.g. "schema/add-column/trades"
  Phase phase = Phase::Schema;
  std::string table;    // empty for steps not about one table
  std::string summary;  // one line for people
  Execution execution = Execution::Transactional;
  std::vector<Statement> up;
  std::vector<Statement> down;
  Execution downExecution = Execution::Transactional;
  LockLevel lock = LockLevel::None;
  DataLossRisk risk = DataLossRisk::None;      // of running `up`
  DataLossRisk downRisk = DataLossRisk::None;  // of running `down`
  std::string riskReason;                      // why, when a risk is not None
  // What to do when `up` fails for a reason in the data, added to the failure message (e.g. which
  // spec field accepts a cross-tenant reference the validation found).
  std::string failureHint;
  // Optional query returning one boolean: true when the step's effect is already in place
  // (e.g. a valid index of that name exists). Lets a step killed half-way be resumed safely.
  std::optional<Statement> appliedCheck;
  std::optional<BackfillTask> backfill;
  std::optional<FlagSwitch> flagSwitch;  // Execution::FlagSwitch

  // A stable fingerprint of what the step does (its SQL), recorded in the ledger.
  std::string checksum() const;
};

// A step of `phase` with its identity and description set; the builders fill in the rest.
Step newStep(Phase phase, std::string id, std::string table, std::string summary);

}  // namespace tenantshift::plan
