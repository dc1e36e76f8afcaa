#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "api/spec_parser.h"
#include "db/connection.h"
#include "engine/engine.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "plan/plan.h"
#include "support/postgres_server.h"

namespace tenantshift::engine::testing {

// A fresh database with an application schema (`schemaSql`, which may use the placeholder
// APP_ROLE for the application's role, created here), a TenantMigration for it (`specYaml`: the
// spec's lines below `database`, indented by two spaces) and the schema phase done by the real
// engine; the backfill steps are left to the test.
struct ConvertedDatabase {
  std::string url;
  std::string appRole;
  api::TenantMigration migration;
  plan::Plan plan;

  ConvertedDatabase(const std::string& prefix, std::string schemaSql, const std::string& specYaml) {
    auto& server = tenantshift::testing::PostgresServer::shared();
    url = server.createDatabase(prefix);
    appRole = prefix + "_app_" + url.substr(url.rfind('/') + 1);
    for (std::size_t at = schemaSql.find("APP_ROLE"); at != std::string::npos;
         at = schemaSql.find("APP_ROLE", at)) {
      schemaSql.replace(at, 8, appRole);
    }
    server.psql(url, "CREATE ROLE " + appRole + " LOGIN;\n" + schemaSql);
    migration = api::parseTenantMigration(
        "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nmetadata: {name: " + prefix +
        "}\nspec:\n  database: {schema: public, appRole: " + appRole + "}\n" + specYaml);
    SilentObserver silent;
    Engine engine(url, migration, silent);
    RunOptions options;
    options.until = plan::Phase::Schema;
    engine.run(options);
    plan = engine.plan();
  }

  const plan::Step& step(const std::string& id) const {
    const plan::Step* found = plan.findStep(id);
    if (found == nullptr) {
      throw std::runtime_error("no step " + id + " in the plan");
    }
    return *found;
  }

  Ledger ledger() const { return Ledger(migration.metadata.name); }

  // A runner role that is not a superuser: it may write the ledger, and has `grants` (SQL in
  // which RUNNER stands for it). Returns its name.
  std::string createRunner(std::string grants) const {
    const std::string runner = "runner_" + url.substr(url.rfind('/') + 1);
    for (std::size_t at = grants.find("RUNNER"); at != std::string::npos;
         at = grants.find("RUNNER", at)) {
      grants.replace(at, 6, runner);
    }
    exec("CREATE ROLE " + runner + " LOGIN; GRANT USAGE ON SCHEMA tenantshift TO " + runner +
         "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tenantshift TO " + runner +
         ";\n" + grants);
    return runner;
  }

  // The URL as another role (trust authentication: no password).
  std::string urlAs(const std::string& role) const {
    std::string out = url;
    out.replace(out.find("postgres@"), 9, role + "@");
    return out;
  }

  // As the application sees it: the login's search_path, not the one db::connect pins.
  std::string scalar(const std::string& sql) const {
    pqxx::connection connection(url);
    pqxx::read_transaction tx(connection);
    const auto row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  void exec(const std::string& sql) const {
    tenantshift::testing::PostgresServer::shared().psql(url, sql);
  }
};

// Keeps every progress report of a backfill; `onBatch` sees each one after the baseline (on the
// runner's thread, between two batches: what it changes in the database, the next batch sees),
// `onStepStarted` every step an engine starts.
class ProgressLog final : public RunObserver {
 public:
  std::vector<BackfillProgress> reports;
  std::function<void(const BackfillProgress&)> onBatch;
  std::function<void(const plan::Step&)> onStepStarted;
  int retries = 0;

  void stepStarted(const plan::Step& step) override {
    if (onStepStarted) {
      onStepStarted(step);
    }
  }
  void stepAlreadyDone(const plan::Step&) override {}
  void stepRetrying(const plan::Step&, int, const std::string&,
                    std::chrono::milliseconds) override {
    ++retries;
  }
  void backfillProgress(const plan::Step&, const BackfillProgress& progress) override {
    reports.push_back(progress);
    if (progress.state != analysis::ThrottleState::Measuring && onBatch) {
      onBatch(progress);
    }
  }
  void stepFinished(const plan::Step&, std::int64_t, std::chrono::milliseconds) override {}
  void stepFailed(const plan::Step&, const std::string&) override {}
};

}  // namespace tenantshift::engine::testing
