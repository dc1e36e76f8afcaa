#include "engine/step_executor.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include "engine/engine.h"
#include "engine/index_build_watch.h"

namespace tenantshift::engine {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t millisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool applied(pqxx::transaction_base& tx, const plan::Step& step) {
  if (!step.appliedCheck) {
    return false;
  }
  const pqxx::result result = execStatement(tx, *step.appliedCheck);
  return !result.empty() && !result[0][0].is_null() && result[0][0].as<bool>();
}

std::optional<StepState> stateOf(pqxx::transaction_base& tx, const Ledger& ledger,
                                 const std::string& stepId, bool lock) {
  const pqxx::result rows = tx.exec_params(
      std::string("SELECT state FROM tenantshift.step WHERE migration = $1 AND step_id = $2") +
          (lock ? " FOR UPDATE" : ""),
      ledger.migration(), stepId);
  if (rows.empty()) {
    return std::nullopt;
  }
  return stepStateFromString(rows[0][0].as<std::string>());
}

}  // namespace

std::int64_t StepExecutor::runUp(const plan::Step& step) {
  if (step.execution != plan::Execution::Transactional &&
      step.execution != plan::Execution::Concurrent) {
    throw std::logic_error("StepExecutor::runUp given a " +
                           std::string(plan::toString(step.execution)) + " step: " + step.id);
  }
  const auto start = Clock::now();
  std::int64_t rows = 0;
  bool skipped = false;
  try {
    runWithRetries(
        step, session_, settings_, observer_, [&](pqxx::connection& connection, int attempt) {
          rows = 0;
          {
            pqxx::work tx(connection);
            if (stateOf(tx, ledger_, step.id, true) == StepState::Done) {
              skipped = true;  // an earlier attempt committed although its commit looked in doubt
              return;
            }
            ledger_.markRunning(tx, step.id, attempt == 1);
            tx.commit();
          }
          if (step.execution == plan::Execution::Transactional) {
            pqxx::work tx(connection);
            applyLockLimits(tx, settings_, settings_.lockTimeout, true);
            skipped = applied(tx, step);
            if (!skipped) {
              for (const plan::Statement& statement : step.up) {
                rows += static_cast<std::int64_t>(execStatement(tx, statement).affected_rows());
              }
            }
            ledger_.markDone(tx, step.id, rows, millisSince(start));
            tx.commit();
            return;
          }
          {
            pqxx::nontransaction tx(connection);
            applyLockLimits(tx, settings_, settings_.lockTimeout, false);
            skipped = applied(tx, step);
            if (!skipped) {
              for (const plan::Statement& statement : step.up) {
                rows += runAutocommit(tx, step, statement);
              }
            }
          }
          pqxx::work tx(connection);
          ledger_.markDone(tx, step.id, rows, millisSince(start));
          tx.commit();
        });
  } catch (const pqxx::failure& error) {
    const std::string message = stepFailureMessage(step, error, settings_);
    recordFailure(step, message, millisSince(start));
    throw EngineError(message, outcomeOfDatabaseFailure(error));
  }
  spdlog::debug("step done id={} rows={} ms={}{}", step.id, rows, millisSince(start),
                skipped ? " (already in place)" : "");
  return rows;
}

void StepExecutor::runDown(const plan::Step& step) {
  const auto start = Clock::now();
  const bool concurrent = step.downExecution == plan::Execution::Concurrent;
  try {
    runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
      if (concurrent) {
        {
          pqxx::nontransaction tx(connection);
          applyLockLimits(tx, settings_, settings_.lockTimeout, false);
          for (const plan::Statement& statement : step.down) {
            runAutocommit(tx, step, statement);
          }
        }
        pqxx::work tx(connection);
        ledger_.markRolledBack(tx, step.id);
        tx.commit();
        return;
      }
      pqxx::work tx(connection);
      applyLockLimits(tx, settings_, settings_.lockTimeout, true);
      for (const plan::Statement& statement : step.down) {
        execStatement(tx, statement);
      }
      ledger_.markRolledBack(tx, step.id);
      tx.commit();
    });
  } catch (const pqxx::failure& error) {
    const std::string message = "undoing " + stepFailureMessage(step, error, settings_);
    recordFailure(step, message, millisSince(start));
    throw EngineError(message, outcomeOfDatabaseFailure(error));
  }
  spdlog::info("step rolled back id={} ms={}", step.id, millisSince(start));
}

std::int64_t StepExecutor::runAutocommit(pqxx::transaction_base& tx, const plan::Step& step,
                                         const plan::Statement& statement) {
  if (!statement.concurrentIndex) {
    return static_cast<std::int64_t>(execStatement(tx, statement).affected_rows());
  }
  // A concurrent index build waits for every older transaction: under its own, longer timeout,
  // watched from a second connection so that a long wait is reported with who it waits for.
  applyLockLimits(tx, settings_, settings_.indexBuildTimeout, false);
  const int pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
  IndexBuildWatch watch(session_.factory(), pid, step.id);
  const auto rows = static_cast<std::int64_t>(execStatement(tx, statement).affected_rows());
  watch.stop();
  applyLockLimits(tx, settings_, settings_.lockTimeout, false);
  return rows;
}

void StepExecutor::recordFailure(const plan::Step& step, const std::string& message,
                                 std::int64_t durationMs) {
  spdlog::debug("step failed id={} error={}", step.id, message);
  try {
    pqxx::work tx(session_.connection());
    ledger_.markFailed(tx, step.id, message, durationMs);
    tx.commit();
  } catch (const std::exception& error) {
    spdlog::error("could not record the failure of step {} in the ledger: {}", step.id,
                  firstLine(error.what()));
  }
  observer_.stepFailed(step, message);
}

}  // namespace tenantshift::engine
