#include "engine/ledger.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "db/connection.h"
#include "engine/engine.h"
#include "engine/ledger_sql.h"
#include "engine/runner_lock.h"
#include "engine_fixture.h"
#include "support/postgres_server.h"

namespace tenantshift::engine {
namespace {

void ensureLedger(const std::string& url) {
  Ledger::ensureSchema(*db::connect(url));
}

using tenantshift::testing::PostgresServer;

plan::Step transactionalStep(const std::string& id, const std::string& sql) {
  plan::Step step;
  step.id = id;
  step.phase = plan::Phase::Schema;
  step.up = {plan::Statement{sql, {}}};
  return step;
}

TEST(Ledger, IsCreatedOnceAndReapplyingIsANoOp) {
  const std::string url = PostgresServer::shared().createDatabase("ledger");
  auto connection = db::connect(url);
  {
    pqxx::read_transaction tx(*connection);
    EXPECT_FALSE(Ledger::schemaExists(tx));
  }
  Ledger::ensureSchema(*connection);
  Ledger::ensureSchema(*connection);
  pqxx::read_transaction tx(*connection);
  EXPECT_TRUE(Ledger::schemaExists(tx));
  const std::vector<int> versions = Ledger::appliedVersions(tx);
  ASSERT_EQ(versions.size(), ledgerSqlFiles().size());
  EXPECT_EQ(versions.front(), 1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM tenantshift.ledger_version")[0].as<int>(),
            static_cast<int>(ledgerSqlFiles().size()));
  EXPECT_FALSE(Ledger("nothing").status(tx).started);
}

TEST(Ledger, RecordsStepsAndRefusesAChangedDoneStep) {
  testing::LedgerDatabase database("ledger_steps");
  const plan::Step first = transactionalStep("schema/one", "SELECT 1");
  const plan::Step second = transactionalStep("schema/two", "SELECT 2");
  database.record({first, second});
  {
    pqxx::work tx(*database.connection);
    database.ledger.markRunning(tx, first.id, true);
    database.ledger.markDone(tx, first.id, 3, 12);
    database.ledger.saveCursor(tx, "items", BackfillCursor{{"4", "a'b"}, 7, false});
    tx.commit();
  }
  {
    pqxx::read_transaction tx(*database.connection);
    const MigrationStatus status = database.ledger.status(tx);
    ASSERT_TRUE(status.started);
    ASSERT_EQ(status.steps.size(), 2U);
    EXPECT_EQ(status.steps[0].id, "schema/one");
    EXPECT_EQ(status.steps[0].state, StepState::Done);
    EXPECT_EQ(status.steps[0].rows, 3);
    EXPECT_EQ(status.steps[0].attempts, 1);
    EXPECT_FALSE(status.steps[0].startedAt.empty());
    EXPECT_EQ(status.steps[1].state, StepState::Pending);
    ASSERT_EQ(status.cursors.size(), 1U);
    EXPECT_EQ(status.cursors[0].lastKey, (std::vector<std::string>{"4", "a'b"}));
    EXPECT_EQ(status.cursors[0].rowsDone, 7);
  }
  // The same plan again: no error, nothing changes.
  database.record({first, second});
  EXPECT_EQ(database.stepState("schema/one"), "done");

  const plan::Step changed = transactionalStep("schema/one", "SELECT 42");
  pqxx::work tx(*database.connection);
  try {
    database.ledger.syncSteps(tx, {changed, second});
    FAIL() << "a done step with different SQL was accepted";
  } catch (const EngineError& error) {
    EXPECT_NE(std::string(error.what()).find("schema/one"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("roll back"), std::string::npos) << error.what();
    // A newer tenantshift's SQL is as much a cause as a changed spec: the message names both.
    EXPECT_NE(std::string(error.what()).find("the spec, or the tenantshift version, changed"),
              std::string::npos)
        << error.what();
    EXPECT_EQ(error.outcome(), Outcome::PlanDrift);
  }
}

// A done step that the spec no longer plans comes back with its recorded undo, when undoing it
// loses nothing; otherwise the spec may not change under the migration.
TEST(Ledger, DoneStepsNoLongerPlannedAreReturnedForUndoOnlyWhenSafe) {
  testing::LedgerDatabase database("ledger_unplanned");
  plan::Step safe = transactionalStep("constraints/tenant-fk/a/a_fk/add", "SELECT 1");
  safe.down.push_back(plan::Statement{"ALTER TABLE a DROP CONSTRAINT IF EXISTS x", {}});
  plan::Step risky = transactionalStep("schema/add-column/a", "SELECT 2");
  risky.downRisk = plan::DataLossRisk::High;
  const plan::Step kept = transactionalStep("schema/default-tenant", "SELECT 3");
  database.record({kept, risky, safe});
  {
    pqxx::work tx(*database.connection);
    database.ledger.markDone(tx, safe.id, 0, 1);
    database.ledger.markDone(tx, risky.id, 0, 1);
    tx.commit();
  }
  {
    pqxx::work tx(*database.connection);
    const auto undo = database.ledger.syncSteps(tx, {kept, risky});
    ASSERT_EQ(undo.size(), 1U);
    EXPECT_EQ(undo[0].id, safe.id);
    ASSERT_EQ(undo[0].down.size(), 1U);
    EXPECT_EQ(undo[0].down[0].sql, "ALTER TABLE a DROP CONSTRAINT IF EXISTS x");
  }
  pqxx::work tx(*database.connection);
  try {
    database.ledger.syncSteps(tx, {kept});
    FAIL() << "a done step that loses data when undone was dropped from the plan silently";
  } catch (const EngineError& error) {
    EXPECT_NE(std::string(error.what()).find("could lose data"), std::string::npos) << error.what();
    EXPECT_EQ(error.outcome(), Outcome::PlanDrift);
  }
}

TEST(Ledger, RolledBackStepsArePendingAgain) {
  testing::LedgerDatabase database("ledger_rolled_back");
  const plan::Step step = transactionalStep("flag/on", "SELECT 1");
  database.record({step});
  {
    pqxx::work tx(*database.connection);
    database.ledger.markDone(tx, step.id, 0, 1);
    database.ledger.markRolledBack(tx, step.id);
    tx.commit();
  }
  EXPECT_EQ(database.stepState(step.id), "rolled_back");
  database.record({step});
  EXPECT_EQ(database.stepState(step.id), "pending");
}

// A step left running is "runner gone" once the runner that marked it no longer holds the lock
// with a live connection; a step stopped at a safe point is pending again, its attempts kept.
TEST(Ledger, TellsARunningStepFromOneWhoseRunnerIsGone) {
  testing::LedgerDatabase database("ledger_runner_gone");
  const plan::Step step = transactionalStep("schema/one", "SELECT 1");
  database.record({step});
  auto runnerGone = [&] {
    pqxx::read_transaction tx(*database.connection);
    const MigrationStatus status = database.ledger.status(tx);
    EXPECT_EQ(status.steps.at(0).state, StepState::Running);
    return status.steps.at(0).runnerGone;
  };
  {
    auto lock = RunnerLock::acquire(database.url, "test", "run");
    database.ledger.setRunnerId(lock->runnerId());
    pqxx::work tx(*database.connection);
    database.ledger.markRunning(tx, step.id, true);
    tx.commit();
    EXPECT_FALSE(runnerGone()) << "the runner holds the lock: the step is running now";
  }
  EXPECT_TRUE(runnerGone()) << "the lock was released: nobody runs the step";

  {
    pqxx::work tx(*database.connection);
    database.ledger.markInterrupted(tx, step.id);
    tx.commit();
  }
  EXPECT_EQ(database.stepState(step.id), "pending");
  EXPECT_EQ(database.scalar("SELECT attempts FROM tenantshift.step WHERE step_id = 'schema/one'"),
            "1");
  pqxx::read_transaction tx(*database.connection);
  EXPECT_FALSE(database.ledger.status(tx).steps.at(0).runnerGone);
}

TEST(RunnerLock, ASecondRunnerIsRefusedWhileTheLockIsHeld) {
  const std::string url = PostgresServer::shared().createDatabase("lock");
  ensureLedger(url);
  {
    auto held = RunnerLock::acquire(url, "shop", "run");
    try {
      RunnerLock::acquire(url, "shop", "rollback");
      FAIL() << "a second runner got the lock";
    } catch (const EngineError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("another tenantshift runner"), std::string::npos) << message;
      EXPECT_NE(message.find("runner " + held->runnerId()), std::string::npos) << message;
      EXPECT_NE(message.find("`run` of migration shop"), std::string::npos) << message;
      EXPECT_NE(message.find("backend pid"), std::string::npos) << message;
      EXPECT_EQ(error.outcome(), Outcome::LockHeld);
    }
    held->ensureHeld();
  }
  // Released with the first holder: the next runner gets it.
  EXPECT_NO_THROW(RunnerLock::acquire(url, "shop", "run"));
}

TEST(RunnerLock, AKilledRunnersLockIsTakenOverAtOnceAndItNoticesIt) {
  const std::string url = PostgresServer::shared().createDatabase("lock_killed");
  ensureLedger(url);
  auto gone = RunnerLock::acquire(url, "shop", "run");
  // Its lock connection dies (the process was killed, the network went away).
  {
    auto admin = db::connect(url);
    pqxx::nontransaction tx(*admin);
    tx.exec(
        "SELECT pg_terminate_backend(holder_pid) FROM tenantshift.runner_lock WHERE name = "
        "'runner'");
  }
  std::unique_ptr<RunnerLock> next;
  for (int i = 0; i < 100 && !next; ++i) {  // the terminated backend exits asynchronously
    try {
      next = RunnerLock::acquire(url, "shop", "rollback");
    } catch (const EngineError&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ASSERT_NE(next, nullptr) << "the lock of a runner whose connection is gone was not taken over";
  EXPECT_THROW(gone->ensureHeld(), EngineError);
  next->ensureHeld();
}

// The application role can neither see nor take the lock, nor block the ledger's creation or a
// runner: the ledger is not its, and the lock is no advisory lock.
TEST(RunnerLock, TheApplicationRoleCanNeitherSeeNorTakeIt) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("lock_app");
  const std::string database = url.substr(url.rfind('/') + 1);
  const std::string app = database + "_app";
  server.psql(url, "CREATE ROLE \"" + app + "\" LOGIN");
  ensureLedger(url);
  auto connection = db::connect(url);
  pqxx::work tx(*connection);
  tx.exec("SET LOCAL ROLE " + tx.quote_name(app));
  for (const char* table :
       {"runner_lock", "migration", "step", "backfill_cursor", "ledger_version", "probe_commit"}) {
    pqxx::subtransaction attempt(tx);
    try {
      attempt.exec(std::string("SELECT * FROM tenantshift.") + table);
      ADD_FAILURE() << "the app role read tenantshift." << table;
    } catch (const pqxx::insufficient_privilege&) {
    }
  }
  // The old fixed advisory key ("tenantsh") held by the app blocks nothing any more.
  tx.exec("SELECT pg_advisory_lock(8387231245791425384)");
  EXPECT_NO_THROW(RunnerLock::acquire(url, "shop", "rollback"));
  EXPECT_NO_THROW(Ledger::ensureSchema(*db::connect(url)));
  EXPECT_EQ(
      tx.exec1("SELECT has_schema_privilege(current_user, 'tenantshift', 'USAGE')")[0].as<bool>(),
      false);
}

}  // namespace
}  // namespace tenantshift::engine
