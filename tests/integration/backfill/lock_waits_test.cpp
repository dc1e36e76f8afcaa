// Lock waits caused by the backfill's own statements reach the throttle: an application session
// kept waiting by a keyset batch that was retried on a new connection (the watch follows the new
// backend), and by a sweep statement. A trigger makes the batch hold a lock the application then
// waits for, and keeps it until the lock watch has looked: the test awaits the database's lock
// table and the watch's polls, and times nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "analysis/clock.h"
#include "backfill_fixture.h"
#include "engine/backfill_runner.h"
#include "engine/backfill_watch.h"
#include "engine/execution.h"

namespace tenantshift::engine {
namespace {

using namespace std::chrono_literals;
using analysis::ThrottleState;
using testing::ProgressLog;

constexpr int kApplicationLock = 8001;  // the batch holds it; the application waits for it
constexpr int kReleaseLock = 8002;      // the test holds it until the watch saw the wait

// The row with payload 'hold' makes its batch take kApplicationLock and then wait for
// kReleaseLock. With kill_first set, the first attempt's backend is terminated before that (the
// batch is retried on a new connection). Names are qualified: the trigger runs in the backfill's
// session, whose search_path is not the application's.
constexpr const char* kSchema = R"sql(
CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL);
INSERT INTO items SELECT g, CASE WHEN g = 150 THEN 'hold' ELSE 'x' END
  FROM generate_series(1, 200) g;
ANALYZE items;
CREATE TABLE hold_config (kill_first boolean NOT NULL);
INSERT INTO hold_config VALUES (false);
CREATE SEQUENCE holds;
CREATE FUNCTION hold_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.payload = 'hold' THEN
    IF nextval('public.holds') = 1 AND (SELECT kill_first FROM public.hold_config) THEN
      PERFORM pg_terminate_backend(pg_backend_pid());
    END IF;
    PERFORM pg_advisory_xact_lock(8001);
    PERFORM pg_advisory_lock_shared(8002);
    PERFORM pg_advisory_unlock_shared(8002);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER items_hold BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION hold_row();
ALTER TABLE items ENABLE ALWAYS TRIGGER items_hold;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO APP_ROLE;
)sql";

// Throttled on lock waits of any length; the latency throttle all but off (a probe would have to
// be 10 s slower to count); a lock_timeout that the held batch never reaches.
constexpr const char* kSpec = R"yaml(  tables:
    - name: items
  exclude: [hold_config]
  backfill:
    batchSize: 50
    minBatchSize: 5
    throttle:
      probe: {interval: 5ms}
      baselineSamples: 10
      windowSamples: 10
      minLatencyIncrease: 10s
      maxLockWait: 1ms
  ddl: {lockTimeout: 120s}
)yaml";

// Polls `sql` (one integer, NULL while not there yet) until it is not NULL: how a test awaits a
// state of another session's locks, which nothing announces.
int awaitInteger(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);  // the login's search_path: `sql` names tables unqualified
  for (int i = 0; i < 6000; ++i) {
    pqxx::nontransaction tx(connection);
    const pqxx::row row = tx.exec1(sql);
    if (!row[0].is_null()) {
      return row[0].as<int>();
    }
    std::this_thread::sleep_for(10ms);
  }
  throw std::runtime_error("not seen within a minute: " + sql);
}

// The application's side, on its own threads: once a batch holds kApplicationLock, a session
// waits for it; once the lock watch has polled twice since that session began waiting, the
// batch may go on. Joined when destroyed; kReleaseLock is released whatever happens.
class WaitingApplication {
 public:
  WaitingApplication(const std::string& url, const analysis::LockWaitWatcher& locks)
      : url_(url), holder_(db::connect(url)) {
    pqxx::nontransaction(*holder_).exec("SELECT pg_advisory_lock(" + std::to_string(kReleaseLock) +
                                        ")");
    thread_ = std::thread([this, &locks] { play(locks); });
  }
  ~WaitingApplication() { awaitEnd(); }
  WaitingApplication(const WaitingApplication&) = delete;
  WaitingApplication& operator=(const WaitingApplication&) = delete;

  // Joins the threads; what went wrong on them ("" when nothing did).
  std::string awaitEnd() {
    if (thread_.joinable()) {
      thread_.join();
    }
    return error_;
  }

 private:
  void play(const analysis::LockWaitWatcher& locks) {
    std::thread waiter;
    try {
      awaitInteger(url_,
                   "SELECT min(pid) FROM pg_locks WHERE locktype = 'advisory' "
                   "AND objid = " +
                       std::to_string(kApplicationLock) + " AND granted");
      waiter = std::thread([this] {
        auto application = db::connect(url_);
        pqxx::work tx(*application);
        tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kApplicationLock) + ")");
        tx.commit();
      });
      awaitInteger(url_, "SELECT min(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = " +
                             std::to_string(kApplicationLock) + " AND NOT granted");
      // A poll that began before the wait may have missed it; the one after it cannot.
      if (!locks.awaitPolls(locks.polls() + 2, 60s)) {
        error_ = "the lock watch did not poll";
      }
    } catch (const std::exception& failure) {
      error_ = failure.what();
    }
    pqxx::nontransaction(*holder_).exec("SELECT pg_advisory_unlock(" +
                                        std::to_string(kReleaseLock) + ")");
    if (waiter.joinable()) {
      waiter.join();
    }
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> holder_;
  std::string error_;
  std::thread thread_;  // last: started once everything it uses is initialised
};

struct LockWaitRun {
  ProgressLog progressLog;
  std::string applicationError;
};

// Backfills items as the engine does (expecting `rows` updated), with `onBatch` between
// batches, while the application waits for the batch that updates the 'hold' row.
LockWaitRun backfillWhileTheApplicationWaits(
    const testing::ConvertedDatabase& database, std::int64_t rows,
    const std::function<void(const BackfillProgress&)>& onBatch = {}) {
  const std::string url = database.url;
  BackfillSettings backfill =
      backfillSettingsFor(database.migration.spec, [url] { return db::connect(url); });
  const analysis::SteadyClock clock;
  auto watch = std::make_unique<BackfillWatch>(*backfill.throttle, database.appRole,
                                               backfill.connect, clock);
  const analysis::LockWaitWatcher& locks = watch->locks();
  ExecutionSettings settings;
  settings.sleep = [](std::chrono::milliseconds) {};
  settings.random = [] { return 0.5; };
  LockWaitRun out;
  out.progressLog.onBatch = onBatch;
  Session session([url] { return db::connect(url); });
  const Ledger ledger = database.ledger();
  BackfillRunner runner(session, ledger, settings, out.progressLog, backfill, clock);
  runner.useWatch(std::move(watch));
  {
    WaitingApplication application(url, locks);
    EXPECT_EQ(runner.run(database.step("backfill/items")), rows);
    out.applicationError = application.awaitEnd();
  }
  return out;
}

// The report after the batch that kept the application waiting.
std::optional<BackfillProgress> lockWaitReport(const ProgressLog& log) {
  for (const BackfillProgress& report : log.reports) {
    if (report.reason.find("application session(s) waited") != std::string::npos) {
      return report;
    }
  }
  return std::nullopt;
}

TEST(BackfillLockWaits, TheWatchFollowsABatchRetriedOnANewConnection) {
  testing::ConvertedDatabase database("lockwait_retry", kSchema, kSpec);
  database.exec("UPDATE hold_config SET kill_first = true");
  const LockWaitRun run = backfillWhileTheApplicationWaits(database, 200);

  ASSERT_EQ(run.applicationError, "");
  // The batch was retried: its first backend was terminated, the second one held the lock.
  EXPECT_GE(run.progressLog.retries, 1);
  EXPECT_EQ(database.scalar("SELECT last_value FROM holds"), "2");
  const auto report = lockWaitReport(run.progressLog);
  ASSERT_TRUE(report.has_value()) << "the throttle never saw the application wait";
  EXPECT_EQ(report->state, ThrottleState::Slowed);
  EXPECT_LT(report->batchSize, 50);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
}

TEST(BackfillLockWaits, ASweepStatementIsWatchedToo) {
  testing::ConvertedDatabase database("lockwait_sweep", kSchema, kSpec);
  // The 'hold' row comes in behind the keyset pass without a tenant (explicitly NULL, and as
  // replica: no default, no trigger gives it one), as rows the sweep exists for: the sweep
  // updates it.
  database.exec("UPDATE items SET payload = 'x' WHERE id = 150");
  bool inserted = false;
  const LockWaitRun run =
      backfillWhileTheApplicationWaits(database, 201, [&](const BackfillProgress&) {
        if (!inserted) {
          inserted = true;
          database.exec(
              "SET session_replication_role = replica; "
              "INSERT INTO items (id, payload, tenant_id) VALUES (1000, 'hold', NULL)");
        }
      });

  ASSERT_EQ(run.applicationError, "");
  EXPECT_EQ(database.scalar("SELECT last_value FROM holds"), "1");
  const auto report = lockWaitReport(run.progressLog);
  ASSERT_TRUE(report.has_value()) << "the throttle never saw the application wait";
  EXPECT_TRUE(report->sweeping);
  EXPECT_EQ(report->state, ThrottleState::Slowed);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
}

}  // namespace
}  // namespace tenantshift::engine
