#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "db/connection.h"
#include "engine/backfill_runner.h"
#include "engine/execution.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "support/postgres_server.h"

namespace tenantshift::engine::testing {

// An observer that counts what it sees and lets a test hook into retries and backfill progress.
class RecordingObserver : public RunObserver {
 public:
  std::atomic<int> retries{0};
  std::atomic<int> failures{0};
  std::atomic<int> progressCalls{0};
  std::vector<std::string> started;
  std::vector<std::string> alreadyDone;
  std::vector<std::string> finished;
  std::function<void(int attempt)> onRetry;
  std::function<void(std::int64_t rowsDone)> onProgress;
  std::vector<BackfillProgress> progressLog;  // every report after a batch, in order

  void stepStarted(const plan::Step& step) override { started.push_back(step.id); }
  void stepAlreadyDone(const plan::Step& step) override { alreadyDone.push_back(step.id); }
  void stepRetrying(const plan::Step&, int attempt, const std::string&,
                    std::chrono::milliseconds) override {
    ++retries;
    if (onRetry) {
      onRetry(attempt);
    }
  }
  void backfillProgress(const plan::Step&, const BackfillProgress& progress) override {
    if (progress.state == analysis::ThrottleState::Measuring) {
      return;  // the baseline is being taken: no batch has run
    }
    ++progressCalls;
    progressLog.push_back(progress);
    if (onProgress) {
      onProgress(progress.rowsUpdated);
    }
  }
  void stepFinished(const plan::Step& step, std::int64_t, std::chrono::milliseconds) override {
    finished.push_back(step.id);
  }
  void stepFailed(const plan::Step&, const std::string&) override { ++failures; }
};

// A fresh database with the ledger and a migration record "test" holding `steps`.
struct LedgerDatabase {
  std::string url;
  std::unique_ptr<pqxx::connection> connection;
  Ledger ledger{"test"};

  explicit LedgerDatabase(const std::string& prefix, const std::string& schemaSql = "") {
    auto& server = tenantshift::testing::PostgresServer::shared();
    url = server.createDatabase(prefix);
    if (!schemaSql.empty()) {
      server.psql(url, schemaSql);
    }
    connection = db::connect(url);
    Ledger::ensureSchema(*connection);
    pqxx::work tx(*connection);
    MigrationRecord record;
    record.name = "test";
    record.specHash = "hash";
    record.spec = nlohmann::json::object();
    record.catalog.schema = "public";
    ledger.create(tx, record);
    tx.commit();
  }

  void record(const std::vector<plan::Step>& steps) {
    pqxx::work tx(*connection);
    ledger.syncSteps(tx, steps);
    tx.commit();
  }

  // As the application sees it: with the login's search_path, not the one db::connect pins.
  std::string scalar(const std::string& sql) {
    pqxx::read_transaction tx(*connection);
    tx.exec("SET LOCAL search_path TO DEFAULT");
    const auto row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  std::string stepState(const std::string& id) {
    pqxx::read_transaction tx(*connection);
    return tx.exec_params1("SELECT state FROM tenantshift.step WHERE step_id = $1", id)[0]
        .as<std::string>();
  }

  Session session() {
    return Session([u = url] { return db::connect(u); });
  }
};

// Backfill settings for tests: batches of `batchSize` rows, no throttle (unless a test adds one).
inline BackfillSettings fixedBatches(
    int batchSize, const std::string& url,
    const std::string& defaultTenant = "00000000-0000-0000-0000-000000000001") {
  BackfillSettings settings;
  settings.sizing.fixed = batchSize;
  settings.sizing.min = 1;
  settings.defaultTenantId = defaultTenant;
  settings.connect = [url] { return db::connect(url); };
  return settings;
}

// Settings that retry quickly and never sleep for real.
inline ExecutionSettings fastSettings(std::chrono::milliseconds lockTimeout, int retries) {
  ExecutionSettings settings;
  settings.lockTimeout = lockTimeout;
  settings.retry.retries = retries;
  settings.retry.initialDelay = std::chrono::milliseconds(1);
  settings.retry.maxDelay = std::chrono::milliseconds(5);
  settings.backfillPause = std::chrono::milliseconds(0);
  settings.sleep = [](std::chrono::milliseconds) {};
  settings.random = [] { return 0.5; };
  return settings;
}

}  // namespace tenantshift::engine::testing
