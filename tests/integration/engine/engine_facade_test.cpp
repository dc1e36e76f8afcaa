#include <gtest/gtest.h>

#include "api/spec_error.h"
#include "api/spec_parser.h"
#include "db/connection.h"
#include "engine/engine.h"
#include "engine/ledger.h"
#include "engine/runner_lock.h"
#include "engine_fixture.h"
#include "plan/sql_identifier.h"

namespace tenantshift::engine {
namespace {

using tenantshift::testing::PostgresServer;

class EngineFacade : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().createDatabase("facade");
    role_ = "facade_app_" + url_.substr(url_.rfind('/') + 1);
    PostgresServer::shared().psql(
        url_, "CREATE ROLE " + plan::quoteIdent(role_) +
                  " LOGIN;"
                  "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);"
                  "CREATE TABLE trades (id bigint PRIMARY KEY, "
                  "  user_id bigint NOT NULL REFERENCES users (id), qty int NOT NULL);"
                  "CREATE TABLE feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL);"
                  "INSERT INTO feature_flags VALUES ('rls', false);"
                  "INSERT INTO users SELECT g, 'u' || g || '@example.com' "
                  "  FROM generate_series(1, 50) g;"
                  "INSERT INTO trades SELECT g, 1 + g % 50, g FROM generate_series(1, 400) g;"
                  "GRANT USAGE ON SCHEMA public TO " +
                  plan::quoteIdent(role_) +
                  ";"
                  "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " +
                  plan::quoteIdent(role_) + ";");
    migration_ = api::parseTenantMigration(
        "apiVersion: tenantshift.dev/v1alpha1\n"
        "kind: TenantMigration\n"
        "metadata: {name: facade}\n"
        "spec:\n"
        "  database: {schema: public, appRole: " +
        role_ +
        "}\n"
        "  tenant: {table: tenants, idType: uuid, setting: app.current_tenant_id}\n"
        "  tables:\n"
        "    - name: users\n"
        "    - name: trades\n"
        "      from: {parent: users, via: user_id}\n"
        "  exclude: [feature_flags]\n"
        "  backfill: {batchSize: 64, pause: 0ms}\n"
        "  ddl: {lockTimeout: 1s, retries: 5}\n"
        "  featureFlag:\n"
        "    sql:\n"
        "      on: \"UPDATE feature_flags SET enabled = true WHERE name = 'rls'\"\n"
        "      off: \"UPDATE feature_flags SET enabled = false WHERE name = 'rls'\"\n");
  }

  // As the application sees it: with the login's search_path, not the one db::connect pins.
  std::string scalar(const std::string& sql) {
    pqxx::connection connection(url_);
    pqxx::work tx(connection);
    const auto row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }
  std::string url_;
  std::string role_;
  api::TenantMigration migration_;
};

std::string appCount(pqxx::connection& connection, const std::string& role,
                     const std::string& table) {
  pqxx::work tx(connection);
  tx.exec("SET LOCAL search_path TO DEFAULT");
  tx.exec("SET LOCAL ROLE " + plan::quoteIdent(role));
  return tx.exec1("SELECT count(*) FROM " + table)[0].as<std::string>();
}

TEST_F(EngineFacade, RunsEveryStepThenEachRollbackScenarioKeepsItsPromise) {
  testing::RecordingObserver observer;
  Engine engine(url_, migration_, observer);
  EXPECT_FALSE(engine.status().started);
  const plan::Plan planned = engine.plan();
  ASSERT_FALSE(planned.steps.empty());
  {
    auto connection = db::connect(url_);
    pqxx::read_transaction tx(*connection);
    EXPECT_FALSE(Ledger::schemaExists(tx)) << "plan() must not create the ledger";
  }

  const RunResult result = engine.run({});
  EXPECT_TRUE(result.complete);
  ASSERT_TRUE(result.verifyReport.has_value());
  EXPECT_TRUE(result.verifyReport->passed());
  MigrationStatus status = engine.status();
  ASSERT_TRUE(status.started);
  ASSERT_EQ(status.steps.size(), planned.steps.size());
  for (const StepStatus& step : status.steps) {
    EXPECT_EQ(step.state, StepState::Done) << step.id << ": " << step.error;
  }
  EXPECT_EQ(scalar("SELECT enabled::text FROM feature_flags"), "true");
  EXPECT_EQ(scalar("SELECT count(*) FROM trades WHERE tenant_id IS NULL"), "0");
  auto connection = db::connect(url_);
  EXPECT_EQ(appCount(*connection, role_, "trades"), "0") << "enforced: no tenant, no rows";

  // A second run finds everything done.
  testing::RecordingObserver again;
  Engine(url_, migration_, again).run({});
  EXPECT_EQ(again.alreadyDone.size(), planned.steps.size());
  EXPECT_TRUE(again.started.empty());

  // flag-off: the flag is off and the app sees its rows again without a tenant.
  const RollbackResult flagOff = engine.rollback(RollbackScenario::FlagOff, false);
  EXPECT_FALSE(flagOff.undoneSteps.empty());
  EXPECT_EQ(scalar("SELECT enabled::text FROM feature_flags"), "false");
  EXPECT_EQ(appCount(*connection, role_, "trades"), "400");
  EXPECT_EQ(scalar("SELECT relrowsecurity::text FROM pg_class WHERE oid = 'trades'::regclass"),
            "true");

  // disable-rls: no row-level security left.
  engine.rollback(RollbackScenario::DisableRls, false);
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname IN ('users', 'trades') "
                   "AND relnamespace = 'public'::regnamespace AND relrowsecurity"),
            "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_policies WHERE schemaname = 'public'"), "0");

  // full: back to the original schema; the record is gone so a new run starts afresh.
  engine.rollback(RollbackScenario::Full, false);
  EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.columns "
                   "WHERE table_schema = 'public' AND column_name = 'tenant_id'"),
            "0");
  EXPECT_EQ(scalar("SELECT to_regclass('public.tenants') IS NULL"), "t");
  EXPECT_EQ(scalar("SELECT count(*) FROM trades"), "400");
  EXPECT_FALSE(engine.status().started);
}

TEST_F(EngineFacade, FullRollbackRefusesToLoseNewTenantAssignments) {
  testing::RecordingObserver observer;
  Engine engine(url_, migration_, observer);
  RunOptions throughRls;
  throughRls.until = plan::Phase::Rls;
  engine.run(throughRls);
  // A tenant the migration did not create, and a user moved to it (its trades follow through the
  // tenant-consistent foreign key): rollback full would lose that.
  PostgresServer::shared().psql(
      url_,
      "INSERT INTO tenants (id, slug, name) VALUES "
      "('00000000-0000-0000-0000-0000000000bb', 'acme', 'Acme');"
      "UPDATE users SET tenant_id = '00000000-0000-0000-0000-0000000000bb' "
      "WHERE id = (SELECT user_id FROM trades WHERE id = 1);");
  try {
    engine.rollback(RollbackScenario::Full, false);
    FAIL() << "rollback full went ahead although it loses data";
  } catch (const EngineError& error) {
    EXPECT_NE(std::string(error.what()).find("--allow-data-loss"), std::string::npos)
        << error.what();
    EXPECT_EQ(error.outcome(), Outcome::DataLossRefused);
  }
  EXPECT_EQ(scalar("SELECT to_regclass('public.tenants') IS NOT NULL"), "t");
  const RollbackResult result = engine.rollback(RollbackScenario::Full, true);
  EXPECT_FALSE(result.undoneSteps.empty());
  EXPECT_EQ(scalar("SELECT to_regclass('public.tenants') IS NULL"), "t");
}

TEST_F(EngineFacade, ASecondRunnerIsRefusedAndBadSpecChangesNothing) {
  testing::RecordingObserver observer;
  api::TenantMigration bad = migration_;
  (*bad.spec.tables)[1].from->parent = "nowhere";
  EXPECT_THROW(Engine(url_, bad, observer).run({}), api::SpecError);
  EXPECT_EQ(scalar("SELECT to_regnamespace('tenantshift') IS NULL"), "t");

  Ledger::ensureSchema(*db::connect(url_));
  auto held = RunnerLock::acquire(url_, "other", "run");
  try {
    Engine(url_, migration_, observer).run({});
    FAIL() << "ran while another runner held the lock";
  } catch (const EngineError& error) {
    EXPECT_NE(std::string(error.what()).find("another tenantshift runner"), std::string::npos);
    EXPECT_EQ(error.outcome(), Outcome::LockHeld);
  }
}

}  // namespace
}  // namespace tenantshift::engine
