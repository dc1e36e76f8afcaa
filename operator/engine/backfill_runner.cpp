#include "engine/backfill_runner.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <vector>

#include "engine/engine.h"
#include "engine/step_executor.h"

namespace tenantshift::engine {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t millisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

std::int64_t BackfillRunner::run(const plan::Step& step) {
  if (!step.backfill) {
    throw std::logic_error("backfill step without a backfill task: " + step.id);
  }
  const plan::BackfillTask& task = *step.backfill;
  const auto start = Clock::now();
  std::int64_t rowsDone = 0;
  try {
    runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
      pqxx::work tx(connection);
      ledger_.markRunning(tx, step.id, true);
      const auto cursor = ledger_.cursor(tx, task.table);
      rowsDone = cursor ? cursor->rowsDone : 0;
      if (!cursor) {
        ledger_.saveCursor(tx, task.table, BackfillCursor{});
      }
      tx.commit();
    });
    if (rowsDone > 0) {
      spdlog::info("backfill resuming table={} rows_done={}", task.table, rowsDone);
    }
    // The keyset pass ends at the last row that exists when it starts: the application's
    // inserts after that already get a tenant (and the sweep catches any that did not).
    const auto bound = task.keyColumns.empty() ? std::nullopt : upperBound(step);
    if (bound) {
      while (batch(step, *bound, rowsDone)) {
        observer_.backfillProgress(step, rowsDone, task.estimatedRows);
        settings_.sleepFor(settings_.backfillPause);
      }
    }
    while (sweep(step, rowsDone) > 0) {
      observer_.backfillProgress(step, rowsDone, task.estimatedRows);
    }
    runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
      pqxx::work tx(connection);
      auto cursor = ledger_.cursor(tx, task.table).value_or(BackfillCursor{});
      cursor.finished = true;
      ledger_.saveCursor(tx, task.table, cursor);
      ledger_.markDone(tx, step.id, cursor.rowsDone, millisSince(start));
      tx.commit();
      rowsDone = cursor.rowsDone;
    });
  } catch (const pqxx::failure& error) {
    const std::string message = stepFailureMessage(step, error, settings_);
    StepExecutor(session_, ledger_, settings_, observer_)
        .recordFailure(step, message, millisSince(start));
    throw EngineError(message);
  }
  spdlog::debug("step done id={} rows={} ms={}", step.id, rowsDone, millisSince(start));
  return rowsDone;
}

std::optional<std::vector<std::string>> BackfillRunner::upperBound(const plan::Step& step) {
  const plan::BackfillTask& task = *step.backfill;
  std::optional<std::vector<std::string>> bound;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::read_transaction tx(connection);
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", settings_.lockTimeoutSetting());
    const pqxx::result result = tx.exec(task.upperBoundSql);
    bound.reset();
    if (!result.empty()) {
      std::vector<std::string> key;
      for (const auto& field : result[0]) {
        key.push_back(field.as<std::string>());
      }
      bound = std::move(key);
    }
  });
  return bound;
}

bool BackfillRunner::batch(const plan::Step& step, const std::vector<std::string>& bound,
                           std::int64_t& rowsDone) {
  const plan::BackfillTask& task = *step.backfill;
  bool more = false;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::work tx(connection);
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", settings_.lockTimeoutSetting());
    // Re-read inside the batch's transaction: an attempt after an in-doubt commit must not
    // repeat a batch that did commit.
    BackfillCursor cursor = ledger_.cursor(tx, task.table).value_or(BackfillCursor{});
    if (cursor.finished) {
      rowsDone = cursor.rowsDone;
      more = false;
      return;
    }
    std::vector<std::string> params = {std::to_string(batchSize_), defaultTenantId_};
    const bool first = cursor.lastKey.empty();
    if (!first) {
      if (cursor.lastKey.size() != task.keyColumns.size()) {
        throw std::logic_error("backfill cursor of " + task.table + " has " +
                               std::to_string(cursor.lastKey.size()) + " key values, the plan " +
                               std::to_string(task.keyColumns.size()) + " key columns");
      }
      params.insert(params.end(), cursor.lastKey.begin(), cursor.lastKey.end());
    }
    params.insert(params.end(), bound.begin(), bound.end());
    const pqxx::result result = tx.exec_params(first ? task.firstBatchSql : task.nextBatchSql,
                                               pqxx::prepare::make_dynamic_params(params));
    if (result.empty()) {
      cursor.finished = true;  // the keyset pass is over; the sweep follows
      more = false;
    } else {
      const auto& row = result[0];
      if (row.size() != 2 + task.keyColumns.size()) {
        throw std::logic_error("backfill batch of " + task.table + " returned " +
                               std::to_string(row.size()) + " columns, expected " +
                               std::to_string(2 + task.keyColumns.size()));
      }
      cursor.rowsDone += row[0].as<std::int64_t>();
      cursor.lastKey.clear();
      for (std::size_t i = 2; i < row.size(); ++i) {
        cursor.lastKey.push_back(row[static_cast<pqxx::row::size_type>(i)].as<std::string>());
      }
      more = true;
    }
    ledger_.saveCursor(tx, task.table, cursor);
    tx.commit();
    rowsDone = cursor.rowsDone;
  });
  return more;
}

std::int64_t BackfillRunner::sweep(const plan::Step& step, std::int64_t& rowsDone) {
  const plan::BackfillTask& task = *step.backfill;
  std::int64_t updated = 0;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::work tx(connection);
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", settings_.lockTimeoutSetting());
    BackfillCursor cursor = ledger_.cursor(tx, task.table).value_or(BackfillCursor{});
    const pqxx::result result =
        tx.exec_params(task.sweepSql, std::to_string(batchSize_), defaultTenantId_);
    updated = result.empty() || result[0][0].is_null() ? 0 : result[0][0].as<std::int64_t>();
    cursor.rowsDone += updated;
    ledger_.saveCursor(tx, task.table, cursor);
    tx.commit();
    rowsDone = cursor.rowsDone;
  });
  return updated;
}

}  // namespace tenantshift::engine
