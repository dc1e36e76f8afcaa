#pragma once

#include <cstdint>

#include "engine/execution.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "plan/step.h"

namespace tenantshift::engine {

// Runs the SQL of Transactional and Concurrent steps (up and down) with lock_timeout and
// retries, and records each in the ledger:
// - Transactional: one transaction holding lock_timeout (SET LOCAL), the appliedCheck, the
//   statements and the ledger update, so the step and its record commit together.
// - Concurrent: autocommit, one statement at a time (CREATE INDEX CONCURRENTLY), appliedCheck
//   first; then the ledger update. Resuming after a kill re-runs the statements, which the
//   planner writes to be idempotent (an INVALID leftover index is dropped and rebuilt).
// A failure that is not retried is recorded (state failed, error) and thrown as EngineError.
class StepExecutor {
 public:
  StepExecutor(Session& session, const Ledger& ledger, const ExecutionSettings& settings,
               RunObserver& observer)
      : session_(session), ledger_(ledger), settings_(settings), observer_(observer) {}

  // Runs `step.up` (step.execution must be Transactional or Concurrent) and marks it done.
  // Returns the rows the statements affected.
  std::int64_t runUp(const plan::Step& step);
  // Runs `step.down` per step.downExecution and marks the step rolled_back.
  void runDown(const plan::Step& step);

  // Records a failure (best effort: the ledger may be unreachable) and tells the observer.
  void recordFailure(const plan::Step& step, const std::string& message, std::int64_t durationMs);

 private:
  // One statement outside a transaction: a concurrent index build under
  // settings.indexBuildTimeout, watched (IndexBuildWatch); anything else under lockTimeout.
  std::int64_t runAutocommit(pqxx::transaction_base& tx, const plan::Step& step,
                             const plan::Statement& statement);

  Session& session_;
  const Ledger& ledger_;
  const ExecutionSettings& settings_;
  RunObserver& observer_;
};

}  // namespace tenantshift::engine
