#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tenantshift::plan {

enum class Phase { Schema, Backfill, Constraints, Rls, Verify, Flag };
inline constexpr std::array<Phase, 6> kPhases = {Phase::Schema, Phase::Backfill, Phase::Constraints,
                                                 Phase::Rls,    Phase::Verify,   Phase::Flag};
std::string_view toString(Phase phase);
std::optional<Phase> phaseFromString(std::string_view name);

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
};
std::string_view toString(Execution execution);

// What the engine's backfill loop runs for one table. Parameters of the batch queries (k = the
// number of key columns; all values text, cast in the SQL):
//   $1 = batch size (bigint), $2 = default tenant id,
//   firstBatchSql: $3..$(2+k) = the upper bound;
//   nextBatchSql:  $3..$(2+k) = the last key of the previous batch, $(3+k)..$(2+2k) = the bound.
// The upper bound is the key of the table's last row when the keyset pass starts (upperBoundSql:
// one text column per key column, no row for an empty table). Rows inserted after it already get
// their tenant from the column default or trigger, so the pass never chases the application's
// inserts; the sweep catches any row that still has none.
// firstBatchSql/nextBatchSql update at most $1 rows with NULL tenant ids and return either no
// row (the table is done) or one row: updated bigint, scanned bigint, then one text column per
// key column (the batch's last key, to be recorded as the cursor).
// sweepSql fills NULL tenant ids left behind by concurrent writes (returns one row: updated
// bigint); the engine repeats it until it updates nothing.
struct BackfillTask {
  std::string table;
  std::vector<std::string> keyColumns;  // empty: no primary key, only sweepSql is used
  std::string upperBoundSql;
  std::string firstBatchSql;
  std::string nextBatchSql;
  std::string sweepSql;
  std::int64_t estimatedRows = 0;
};

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

  // A stable fingerprint of what the step does (its SQL), recorded in the ledger.
  std::string checksum() const;
};

// A step of `phase` with its identity and description set; the builders fill in the rest.
Step newStep(Phase phase, std::string id, std::string table, std::string summary);

}  // namespace tenantshift::plan
