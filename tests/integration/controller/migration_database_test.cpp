// EngineMigrationDatabase, the operator's read of a database (its plan and its ledger), against
// a real PostgreSQL: the same plan the engine runs, made once per spec once the migration has
// started, one connection per database kept across reads.
#include "controller/migration_database.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "api/spec_parser.h"
#include "engine/engine.h"
#include "engine/run_observer.h"
#include "plan/plan_hash.h"
#include "support/example_database.h"
#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/scratch_files.h"

namespace tenantshift::controller {
namespace {

using tenantshift::testing::PostgresServer;

api::TenantMigration example(const std::string& replace = "", const std::string& with = "") {
  std::string text =
      tenantshift::testing::readFile(tenantshift::testing::exampleDir() / "migration.yaml");
  if (!replace.empty()) {
    const auto at = text.find(replace);
    if (at == std::string::npos) {
      throw std::runtime_error("migration.yaml has no " + replace);
    }
    text.replace(at, replace.size(), with);
  }
  return api::parseTenantMigration(text);
}

void execute(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::work tx(connection);
  tx.exec(sql);
  tx.commit();
}

// The operator's own sessions in the database (db::connect tags them application_name
// tenantshift).
std::int64_t sessions(const std::string& url) {
  return tenantshift::testing::queryInt(
      PostgresServer::shared().url(),
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenantshift' AND "
      "datname = '" +
          tenantshift::testing::databaseName(url) + "'");
}

TEST(EngineMigrationDatabase, ReadsThePlanTheEngineRunsAndWhatTheLedgerRecords) {
  const std::string url = PostgresServer::shared().createDatabase("controller_read");
  tenantshift::testing::loadExample(url, "0.01");
  const api::TenantMigration migration = example();
  engine::SilentObserver observer;
  engine::Engine engine(url, migration, observer);
  EngineMigrationDatabase database;

  const LedgerView fresh = database.read(url, migration);
  EXPECT_EQ(fresh.planHash, plan::planHash(engine.plan()));
  ASSERT_EQ(fresh.phases.size(), plan::kPhases.size());
  for (const PhaseProgress& phase : fresh.phases) {
    EXPECT_EQ(phase.done, 0) << plan::toString(phase.phase);
  }

  engine::RunOptions schemaOnly;
  schemaOnly.only = plan::Phase::Schema;
  engine.run(schemaOnly);
  const LedgerView started = database.read(url, migration);
  EXPECT_EQ(started.planHash, fresh.planHash);
  EXPECT_TRUE(started.phases[0].complete());
  EXPECT_GT(started.phases[0].total, 0);
  EXPECT_FALSE(started.phases[0].finishedAt.empty());
  EXPECT_FALSE(started.phases[1].complete());
}

TEST(EngineMigrationDatabase, PlansAStartedMigrationOncePerSpecOnOneConnection) {
  const std::string url = PostgresServer::shared().createDatabase("controller_cache");
  tenantshift::testing::loadExample(url, "0.01");
  const api::TenantMigration migration = example();
  engine::SilentObserver observer;
  engine::RunOptions schemaOnly;
  schemaOnly.only = plan::Phase::Schema;
  engine::Engine(url, migration, observer).run(schemaOnly);

  EngineMigrationDatabase database;
  const LedgerView first = database.read(url, migration);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(database.read(url, migration), first);
  }
  EXPECT_EQ(database.plansMade(), 1) << "the plan of a started migration depends only on its "
                                        "spec and the recorded snapshot";
  EXPECT_EQ(database.connectionsOpened(), 1);
  EXPECT_EQ(sessions(url), 1) << "one connection kept, no more";

  // What the ledger records is read every time: the backfill, run meanwhile, shows.
  engine::RunOptions backfillOnly;
  backfillOnly.only = plan::Phase::Backfill;
  engine::Engine(url, migration, observer).run(backfillOnly);
  const LedgerView filled = database.read(url, migration);
  EXPECT_TRUE(filled.phases[1].complete());
  EXPECT_EQ(database.plansMade(), 1);

  // Another spec is another plan.
  const api::TenantMigration changed = example("pause: 20ms", "pause: 30ms");
  database.read(url, changed);
  EXPECT_EQ(database.plansMade(), 2);
  database.read(url, changed);
  EXPECT_EQ(database.plansMade(), 2);
}

TEST(EngineMigrationDatabase, ANotYetStartedMigrationIsPlannedFromTheLiveSchemaEachTime) {
  const std::string url = PostgresServer::shared().createDatabase("controller_live");
  tenantshift::testing::loadExample(url, "0.01");
  const api::TenantMigration migration = example();
  EngineMigrationDatabase database;
  const std::string before = database.read(url, migration).planHash;
  // A table the planner must place: the plan (and its hash) changes before anything ran.
  execute(url,
          "CREATE TABLE public.watchlists (id bigserial PRIMARY KEY, user_id bigint NOT NULL "
          "REFERENCES public.users (id))");
  const std::string after = database.read(url, migration).planHash;
  EXPECT_NE(after, before);
  EXPECT_EQ(database.plansMade(), 2);
}

TEST(EngineMigrationDatabase, AConnectionTheServerClosedIsOpenedAgain) {
  const std::string url = PostgresServer::shared().createDatabase("controller_reconnect");
  tenantshift::testing::loadExample(url, "0.01");
  const api::TenantMigration migration = example();
  EngineMigrationDatabase database;
  database.read(url, migration);
  tenantshift::testing::queryInt(
      PostgresServer::shared().url(),
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
      "'tenantshift' AND datname = '" +
          tenantshift::testing::databaseName(url) + "'");
  EXPECT_NO_THROW(database.read(url, migration));
  EXPECT_EQ(database.connectionsOpened(), 2);
}

TEST(EngineMigrationDatabase, AnUnreachableDatabaseAndARefusedPlanAreTold) {
  const std::string url = PostgresServer::shared().createDatabase("controller_refused");
  tenantshift::testing::loadExample(url, "0.01");
  EngineMigrationDatabase database;
  const std::string missing =
      tenantshift::testing::urlAs(url + "_missing", "ts_nobody", "Never-Shown-Pw-7");
  try {
    database.read(missing, example());
    FAIL() << "read a database that does not exist";
  } catch (const DatabaseUnreachable& error) {
    EXPECT_EQ(std::string(error.what()).find("Never-Shown-Pw-7"), std::string::npos)
        << error.what();
  }
  try {
    database.read(url, example("exclude: [alembic_version, feature_flags]",
                               "exclude: [alembic_version, feature_flags, no_such_table]"));
    FAIL() << "planned a spec naming a table that is not there";
  } catch (const PlanRefused& error) {
    EXPECT_NE(std::string(error.what()).find("no_such_table"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace tenantshift::controller
