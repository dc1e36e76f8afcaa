#include "engine/step_executor.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "engine/engine.h"
#include "engine_fixture.h"

namespace tenantshift::engine {
namespace {

using namespace std::chrono_literals;

TEST(StepExecutor, TransactionalStepRetriesBehindALockThenSucceeds) {
  testing::LedgerDatabase database("lock_retry", "CREATE TABLE t (id bigint PRIMARY KEY);");
  plan::Step step;
  step.id = "schema/add-column/t";
  step.table = "t";
  step.up = {{"ALTER TABLE public.t ADD COLUMN IF NOT EXISTS tenant_id uuid", {}}};
  database.record({step});

  auto blocker = db::connect(database.url);
  auto blockerTx = std::make_unique<pqxx::work>(*blocker);
  blockerTx->exec("LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE");

  std::promise<void> firstRetry;
  testing::RecordingObserver observer;
  observer.onRetry = [&, signalled = false](int) mutable {
    if (!signalled) {
      signalled = true;
      firstRetry.set_value();
    }
  };
  std::thread releaser([&] {
    firstRetry.get_future().wait();
    blockerTx->abort();
  });

  ExecutionSettings settings = testing::fastSettings(50ms, 1000);
  Session session = database.session();
  StepExecutor executor(session, database.ledger, settings, observer);
  executor.runUp(step);
  releaser.join();

  EXPECT_GE(observer.retries.load(), 1);
  EXPECT_EQ(database.stepState(step.id), "done");
  EXPECT_EQ(database.scalar("SELECT attempts FROM tenantshift.step WHERE step_id = "
                            "'schema/add-column/t'"),
            std::to_string(observer.retries.load() + 1));
  EXPECT_EQ(database.scalar("SELECT count(*) FROM information_schema.columns "
                            "WHERE table_name = 't' AND column_name = 'tenant_id'"),
            "1");
}

TEST(StepExecutor, GivesUpAfterTheConfiguredRetriesAndRecordsTheFailure) {
  testing::LedgerDatabase database("lock_give_up", "CREATE TABLE t (id bigint PRIMARY KEY);");
  plan::Step step;
  step.id = "schema/add-column/t";
  step.table = "t";
  step.up = {{"ALTER TABLE public.t ADD COLUMN tenant_id uuid", {}}};
  database.record({step});
  auto blocker = db::connect(database.url);
  pqxx::work blockerTx(*blocker);
  blockerTx.exec("LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE");

  testing::RecordingObserver observer;
  ExecutionSettings settings = testing::fastSettings(20ms, 2);
  Session session = database.session();
  StepExecutor executor(session, database.ledger, settings, observer);
  try {
    executor.runUp(step);
    FAIL() << "the step ran although the table stayed locked";
  } catch (const EngineError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("55P03"), std::string::npos) << message;
    EXPECT_NE(message.find("lockTimeout"), std::string::npos) << message;
  }
  EXPECT_EQ(observer.retries.load(), 2);
  EXPECT_EQ(database.stepState(step.id), "failed");
  EXPECT_EQ(database.scalar("SELECT attempts FROM tenantshift.step"), "3");
}

TEST(StepExecutor, NonRetryableErrorIsRecordedAsFailedWithTheError) {
  testing::LedgerDatabase database("fatal", "CREATE TABLE t (id bigint PRIMARY KEY);");
  plan::Step good;
  good.id = "schema/good";
  good.up = {{"INSERT INTO public.t VALUES ($1::bigint)", {"1"}}};
  plan::Step bad;
  bad.id = "schema/bad";
  bad.up = {{"INSERT INTO public.t VALUES ($1::bigint)", {"2"}},
            {"ALTER TABLE public.missing ADD COLUMN x int", {}}};
  database.record({good, bad});

  testing::RecordingObserver observer;
  ExecutionSettings settings = testing::fastSettings(100ms, 5);
  Session session = database.session();
  StepExecutor executor(session, database.ledger, settings, observer);
  EXPECT_EQ(executor.runUp(good), 1);
  try {
    executor.runUp(bad);
    FAIL() << "a failing step succeeded";
  } catch (const EngineError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("schema/bad"), std::string::npos) << message;
    EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
    EXPECT_NE(message.find("42P01"), std::string::npos) << message;
  }
  EXPECT_EQ(observer.retries.load(), 0);
  EXPECT_EQ(observer.failures.load(), 1);
  EXPECT_EQ(database.stepState("schema/good"), "done");
  EXPECT_EQ(database.stepState("schema/bad"), "failed");
  EXPECT_NE(database.scalar("SELECT error FROM tenantshift.step WHERE step_id = 'schema/bad'")
                .find("missing"),
            std::string::npos);
  // The failed step's transaction rolled back: its first statement left nothing behind.
  EXPECT_EQ(database.scalar("SELECT string_agg(id::text, ',') FROM public.t"), "1");
}

TEST(StepExecutor, ConcurrentIndexStepRebuildsAnInvalidLeftover) {
  testing::LedgerDatabase database("invalid_index",
                                   "CREATE TABLE t (id bigint PRIMARY KEY, tenant_id int);"
                                   "INSERT INTO t VALUES (1, 7), (2, 7);");
  // A failed concurrent build leaves an INVALID index behind.
  EXPECT_ANY_THROW(tenantshift::testing::PostgresServer::shared().psql(
      database.url, "CREATE UNIQUE INDEX CONCURRENTLY t_tenant_idx ON public.t (tenant_id)"));
  auto validity = [&] {
    return database.scalar(
        "SELECT coalesce(string_agg(indisvalid::text, ','), 'none') FROM pg_index "
        "WHERE indexrelid = to_regclass('public.t_tenant_idx')");
  };
  ASSERT_EQ(validity(), "false");

  plan::Step step;
  step.id = "constraints/index/t";
  step.table = "t";
  step.execution = plan::Execution::Concurrent;
  step.up = {{"DROP INDEX CONCURRENTLY IF EXISTS public.t_tenant_idx", {}},
             {"CREATE INDEX CONCURRENTLY t_tenant_idx ON public.t (tenant_id)", {}}};
  step.appliedCheck = plan::Statement{
      "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND indisvalid)",
      {"public.t_tenant_idx"}};
  database.record({step});

  testing::RecordingObserver observer;
  ExecutionSettings settings = testing::fastSettings(1000ms, 3);
  Session session = database.session();
  StepExecutor executor(session, database.ledger, settings, observer);
  executor.runUp(step);
  EXPECT_EQ(validity(), "true");
  EXPECT_EQ(database.stepState(step.id), "done");

  // Run again (as after a kill between the build and the ledger update): the valid index is
  // kept, not rebuilt.
  const std::string oid = database.scalar("SELECT 'public.t_tenant_idx'::regclass::oid");
  {
    pqxx::work tx(*database.connection);
    tx.exec("UPDATE tenantshift.step SET state = 'running'");
    tx.commit();
  }
  executor.runUp(step);
  EXPECT_EQ(database.scalar("SELECT 'public.t_tenant_idx'::regclass::oid"), oid);
  EXPECT_EQ(validity(), "true");
}

}  // namespace
}  // namespace tenantshift::engine
