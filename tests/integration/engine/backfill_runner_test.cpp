#include "engine/backfill_runner.h"

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine_fixture.h"

namespace tenantshift::engine {
namespace {

using namespace std::chrono_literals;

// items: 1000 rows (ids 10, 20, ...), every tenth one already has a tenant. Each update of an
// item is logged by a trigger (ENABLE ALWAYS), so a row updated twice shows up twice.
constexpr const char* kSchema = R"sql(
CREATE TABLE items (id bigint PRIMARY KEY, tenant_id uuid, payload text);
CREATE TABLE item_updates (id bigint NOT NULL);
CREATE FUNCTION log_item_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO item_updates VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER items_logged BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION log_item_update();
-- ALWAYS: it fires for the backfill's updates too, although they run as replica.
ALTER TABLE items ENABLE ALWAYS TRIGGER items_logged;
INSERT INTO items
  SELECT g * 10, CASE WHEN g % 10 = 0 THEN '00000000-0000-0000-0000-0000000000aa'::uuid END, 'x'
  FROM generate_series(1, 1000) g;
)sql";

plan::Step backfillStep() {
  plan::BackfillTask task;
  task.table = "items";
  task.keyColumns = {"id"};
  const std::string end =
      "WITH b AS (SELECT id FROM public.items %WHERE% ORDER BY id LIMIT $1::bigint) "
      "SELECT count(*), max(id)::text FROM b HAVING count(*) > 0";
  const std::string update =
      "WITH updated AS (UPDATE public.items i SET tenant_id = $1::uuid %WHERE% "
      "AND i.tenant_id IS NULL RETURNING 1) SELECT count(*) FROM updated";
  const auto with = [](std::string sql, const std::string& where) {
    sql.replace(sql.find("%WHERE%"), 7, where);
    return sql;
  };
  // Qualified: an unqualified ORDER BY id would sort by the text output column.
  task.upperBoundSql = "SELECT i.id::text FROM public.items i ORDER BY i.id DESC LIMIT 1";
  task.firstBatchEndSql = with(end, "WHERE id <= $2::bigint");
  task.nextBatchEndSql = with(end, "WHERE id > $2::bigint AND id <= $3::bigint");
  task.firstBatchSql = with(update, "WHERE i.id <= $2::bigint");
  task.nextBatchSql = with(update, "WHERE i.id > $2::bigint AND i.id <= $3::bigint");
  task.sweepSql =
      "WITH updated AS (UPDATE public.items SET tenant_id = $2::uuid WHERE id IN "
      "(SELECT id FROM public.items WHERE tenant_id IS NULL LIMIT $1::bigint) RETURNING 1) "
      "SELECT count(*) FROM updated";
  task.estimatedRows = 1000;
  plan::Step step;
  step.id = "backfill/items";
  step.phase = plan::Phase::Backfill;
  step.table = "items";
  step.execution = plan::Execution::Backfill;
  step.backfill = task;
  return step;
}

struct SimulatedKill : std::runtime_error {
  SimulatedKill() : std::runtime_error("killed") {}
};

// The application inserting more rows per batch than a batch scans must not keep the keyset pass
// going: it ends at the last row that existed when it started; the sweep fills what is left.
TEST(BackfillRunner, KeysetPassDoesNotChaseTheApplicationsInserts) {
  testing::LedgerDatabase database("backfill_bounded", kSchema);
  const plan::Step step = backfillStep();
  database.record({step});
  const ExecutionSettings settings = testing::fastSettings(1000ms, 3);
  testing::RecordingObserver observer;
  pqxx::connection app(database.url);
  std::int64_t nextId = 100000;
  observer.onProgress = [&](std::int64_t) {
    if (observer.progressCalls.load() > 50) {
      throw SimulatedKill();  // the pass never ended: fail instead of running forever
    }
    if (observer.progressCalls.load() > 10) {
      return;  // the ten batches of the original rows are done: the sweep follows
    }
    pqxx::work tx(app);
    // 150 new rows per batch of 100, half of them without a tenant (no trigger in this table).
    tx.exec_params(
        "INSERT INTO items (id, tenant_id, payload) SELECT $1::bigint + g, CASE WHEN g % 2 = 0 "
        "THEN '00000000-0000-0000-0000-0000000000aa'::uuid END, 'new' "
        "FROM generate_series(1, 150) g",
        nextId);
    tx.commit();
    nextId += 1000;
  };
  Session session = database.session();
  BackfillRunner runner(session, database.ledger, settings, observer,
                        testing::fixedBatches(100, database.url));
  EXPECT_NO_THROW(runner.run(step));
  EXPECT_EQ(database.stepState(step.id), "done");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
  // The keyset pass scanned up to the original last key (1,000 rows: 10 batches) and stopped.
  EXPECT_EQ(database.scalar("SELECT last_key::text FROM tenantshift.backfill_cursor"), "{10000}");
}

TEST(BackfillRunner, ResumesFromTheRecordedCursorWithoutRepeatingRows) {
  testing::LedgerDatabase database("backfill_resume", kSchema);
  const plan::Step step = backfillStep();
  database.record({step});
  const ExecutionSettings settings = testing::fastSettings(1000ms, 3);

  // First run: "killed" after its third batch committed.
  {
    testing::RecordingObserver observer;
    observer.onProgress = [&](std::int64_t) {
      if (observer.progressCalls.load() == 3) {
        throw SimulatedKill();
      }
    };
    Session session = database.session();
    BackfillRunner runner(session, database.ledger, settings, observer,
                          testing::fixedBatches(100, database.url));
    EXPECT_THROW(runner.run(step), SimulatedKill);
  }
  EXPECT_EQ(database.stepState(step.id), "running");
  // Three batches of 100 keys, 90 NULL rows each.
  EXPECT_EQ(database.scalar("SELECT rows_done FROM tenantshift.backfill_cursor"), "270");
  EXPECT_EQ(database.scalar("SELECT last_key::text FROM tenantshift.backfill_cursor"), "{3000}");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "630");

  // The application keeps writing while the runner is down: a row behind the cursor (only the
  // sweep can reach it) and one ahead of it, both without a tenant.
  {
    pqxx::work tx(*database.connection);
    tx.exec("SET LOCAL search_path TO DEFAULT");  // the application's, not db::connect's
    tx.exec("INSERT INTO items (id, payload) VALUES (15, 'behind'), (20005, 'ahead')");
    tx.commit();
  }

  testing::RecordingObserver observer;
  Session session = database.session();
  BackfillRunner runner(session, database.ledger, settings, observer,
                        testing::fixedBatches(100, database.url));
  const std::int64_t total = runner.run(step);

  EXPECT_EQ(total, 900 + 2);
  EXPECT_EQ(database.stepState(step.id), "done");
  EXPECT_EQ(database.scalar("SELECT rows FROM tenantshift.step"), "902");
  EXPECT_EQ(database.scalar("SELECT finished FROM tenantshift.backfill_cursor"), "t");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id = "
                            "'00000000-0000-0000-0000-0000000000aa'"),
            "100");
  // Every NULL row updated exactly once, across both runs.
  EXPECT_EQ(database.scalar("SELECT count(*) FROM item_updates"), "902");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM (SELECT id FROM item_updates GROUP BY id "
                            "HAVING count(*) > 1) twice"),
            "0");

  // Running a finished backfill again updates nothing.
  database.record({step});
  {
    pqxx::work tx(*database.connection);
    tx.exec("UPDATE tenantshift.step SET state = 'pending'");
    tx.commit();
  }
  EXPECT_EQ(runner.run(step), 902);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM item_updates"), "902");
}

TEST(BackfillRunner, RetriesABatchBehindALockAndPausesBetweenBatches) {
  testing::LedgerDatabase database("backfill_lock", kSchema);
  const plan::Step step = backfillStep();
  database.record({step});

  auto blocker = db::connect(database.url);
  auto blockerTx = std::make_unique<pqxx::work>(*blocker);
  blockerTx->exec("LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE");

  ExecutionSettings settings = testing::fastSettings(50ms, 1000);
  settings.backfillPause = 20ms;
  std::vector<std::chrono::milliseconds> sleeps;
  settings.sleep = [&](std::chrono::milliseconds duration) { sleeps.push_back(duration); };
  testing::RecordingObserver observer;
  observer.onRetry = [&](int) {
    if (blockerTx) {
      blockerTx->abort();
      blockerTx.reset();
    }
  };
  Session session = database.session();
  BackfillRunner runner(session, database.ledger, settings, observer,
                        testing::fixedBatches(300, database.url));
  EXPECT_EQ(runner.run(step), 900);
  EXPECT_GE(observer.retries.load(), 1);
  // One pause after each of the four keyset batches (300, 300, 300, 100 keys).
  EXPECT_EQ(std::count(sleeps.begin(), sleeps.end(), 20ms), 4);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
}

}  // namespace
}  // namespace tenantshift::engine
