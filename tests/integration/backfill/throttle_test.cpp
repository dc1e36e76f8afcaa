// The closed loop on a real database: the backfill starts slow and speeds up to full speed
// while the probe is fast, the latency probe is made slow, the backfill slows down (pauses,
// batches no larger), the probe is made fast again, the backfill resumes at full speed, and
// every row is filled. Slow twice over: its query (pg_sleep in the function it calls), and
// its commit (the row its durable write updates is locked, as a WAL flush stalls the
// application's commits). Nothing here measures time: the test waits for the probe's samples,
// and asserts on the direction of the throttle's decisions, not on its levels.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

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

constexpr const char* kSchema = R"sql(
CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL);
INSERT INTO items SELECT g, 'x' FROM generate_series(1, 3000) g;
ANALYZE items;
CREATE TABLE probe_delay (seconds float8 NOT NULL);
INSERT INTO probe_delay VALUES (0);
CREATE TABLE probe_writes (at timestamptz NOT NULL);
-- The application's latency as the probe sees it: as slow as the test says. It writes too: the
-- probe's transaction commits, and what its query did must not.
CREATE FUNCTION probe() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO probe_writes VALUES (now());
  RETURN (SELECT count(*)::int FROM (SELECT pg_sleep(seconds) FROM probe_delay) s);
END $$;
GRANT SELECT ON probe_delay TO APP_ROLE;
GRANT INSERT ON probe_writes TO APP_ROLE;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO APP_ROLE;
)sql";

// Fixed batches of 30 (100 batches), a probe every millisecond, small windows; the p99 may rise
// by 50 ms (so that a busy test machine does not trip it), and a slow probe takes 150 ms.
// Fixed batches of 30 (100 batches), a probe every millisecond, small windows. A slow probe
// (pg_sleep of 5 s) fails at its 300 ms statement_timeout, and a failed probe counts as
// infinitely slow; the p99 may rise by 250 ms, so that a healthy probe counts as slow only when
// the machine stalls it for a quarter of a second (this shared machine runs at load averages of
// 6 to 14), and a stall during the baseline cannot raise the allowed p99 above a failure.
constexpr const char* kSpec = R"yaml(  tables:
    - name: items
  exclude: [probe_delay, probe_writes]
  backfill:
    batchSize: 30
    minBatchSize: 5
    throttle:
      probe: {sql: "SELECT probe()", interval: 1ms, timeout: 300ms}
      baselineSamples: 20
      windowSamples: 10
      maxLatencyIncreasePercent: 100
      minLatencyIncrease: 250ms
      maxLockWait: 0ms
)yaml";

// Runs the backfill of items; once it has sped up from its slow start to full speed, after its
// third batch at full speed, `slow()` makes the probe slow until the backfill has slowed down,
// then `fast()` makes it fast again; checks the three turns and the end.
void expectSlowsDownAndRecovers(testing::ConvertedDatabase& database,
                                const std::function<void()>& slow,
                                const std::function<void()>& fast) {
  const std::string url = database.url;
  BackfillSettings backfill =
      backfillSettingsFor(database.migration.spec, [url] { return db::connect(url); });
  ASSERT_TRUE(backfill.throttle.has_value());
  const analysis::SteadyClock clock;
  auto watch = std::make_unique<BackfillWatch>(*backfill.throttle, database.appRole,
                                               backfill.connect, clock);
  analysis::ProbeSampler& sampler = watch->sampler();
  // Waits for `count` more probe samples (the probe thread takes them; nothing is timed here).
  const auto awaitSamples = [&](std::uint64_t count) {
    ASSERT_TRUE(sampler.awaitTaken(sampler.taken() + count, 60s));
  };

  std::vector<std::chrono::milliseconds> pauses;
  ExecutionSettings settings;
  settings.sleep = [&](std::chrono::milliseconds pause) { pauses.push_back(pause); };
  settings.random = [] { return 0.5; };

  enum class Phase { Starting, Fast, Slow, Recovering, Recovered };
  Phase phase = Phase::Starting;
  std::size_t fastFrom = 0;       // first report at full speed after the slow start
  std::size_t slowedFrom = 0;     // first report while the probe was slow and the backfill slowed
  std::size_t recoveredFrom = 0;  // first report at full speed again
  std::size_t pausesBeforeSlow = 0;
  int batches = 0;
  ProgressLog progressLog;
  progressLog.onBatch = [&](const BackfillProgress& progress) {
    ++batches;
    switch (phase) {
      case Phase::Starting:
        if (progress.state == ThrottleState::Running) {
          fastFrom = progressLog.reports.size() - 1;
          batches = 1;
          phase = Phase::Fast;
        } else {
          awaitSamples(12);  // one level faster per window of fast samples
        }
        break;
      case Phase::Fast:
        if (batches == 3) {
          slow();
          awaitSamples(12);  // a window (and its settling fifth) of slow samples
          pausesBeforeSlow = pauses.size();
          phase = Phase::Slow;
        }
        break;
      case Phase::Slow:
        if (progress.state == ThrottleState::Slowed) {
          slowedFrom = progressLog.reports.size() - 1;
          fast();
          awaitSamples(12);
          phase = Phase::Recovering;
        } else {
          awaitSamples(12);
        }
        break;
      case Phase::Recovering:
        if (progress.state == ThrottleState::Running) {
          recoveredFrom = progressLog.reports.size() - 1;
          phase = Phase::Recovered;
        } else {
          awaitSamples(12);  // one level down per window of fast samples
        }
        break;
      case Phase::Recovered:
        break;
    }
  };

  Session session([url] { return db::connect(url); });
  const Ledger ledger = database.ledger();
  BackfillRunner runner(session, ledger, settings, progressLog, backfill, clock);
  runner.useWatch(std::move(watch));
  EXPECT_EQ(runner.run(database.step("backfill/items")), 3000);

  ASSERT_EQ(phase, Phase::Recovered) << "the backfill did not slow down and recover in time";
  ASSERT_GT(slowedFrom, fastFrom);
  ASSERT_GT(recoveredFrom, slowedFrom);
  // It took a baseline first.
  EXPECT_EQ(progressLog.reports.front().state, ThrottleState::Measuring);
  // Then it started slow: at the slowest level, batches of 30 / 16, no fewer than minBatchSize
  // (5). The probe takes a sample every millisecond, so the two decisions before this first
  // report (before and after the first batch) may each have taken it a level faster on a window
  // within the limit: level 6 or 7, batches of 30 / 8, still 5.
  const BackfillProgress& start = progressLog.reports[1];
  EXPECT_EQ(start.state, ThrottleState::Slowed);
  EXPECT_EQ(start.batchSize, 5);
  EXPECT_TRUE(start.reason.find("slow start") != std::string::npos ||
              start.reason.find("level 7 of 8") != std::string::npos ||
              start.reason.find("level 6 of 8") != std::string::npos)
      << start.reason;
  // Sped up while the probe was fast, then ran at full speed, batches of 30.
  ASSERT_GT(fastFrom, 1u) << "never reached full speed after the slow start";
  EXPECT_EQ(progressLog.reports[fastFrom].batchSize, 30);
  EXPECT_EQ(progressLog.reports[fastFrom].pause, 0ms);
  // Slowed: batches no larger and a pause after every batch, for a reason that names the probe.
  const BackfillProgress& slowed = progressLog.reports[slowedFrom];
  EXPECT_LE(slowed.batchSize, 30);
  EXPECT_GT(slowed.pause, 0ms);
  EXPECT_NE(slowed.reason.find("probe p99"), std::string::npos) << slowed.reason;
  ASSERT_GT(pauses.size(), pausesBeforeSlow);
  EXPECT_GT(*std::max_element(pauses.begin() + static_cast<std::ptrdiff_t>(pausesBeforeSlow),
                              pauses.end()),
            0ms);
  // Resumed: full size again, no pause, because the probe is within its limit.
  const BackfillProgress& recovered = progressLog.reports[recoveredFrom];
  EXPECT_EQ(recovered.batchSize, 30);
  EXPECT_EQ(recovered.pause, 0ms);
  EXPECT_NE(recovered.reason.find("<= "), std::string::npos) << recovered.reason;

  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items"), "3000");
  // The ledger has the progress `status` shows: finished, with the probe's baseline.
  auto connection = db::connect(url);
  pqxx::read_transaction tx(*connection);
  const MigrationStatus status = ledger.status(tx);
  ASSERT_EQ(status.cursors.size(), 1u);
  ASSERT_TRUE(status.cursors[0].progress.has_value());
  const BackfillProgress& saved = *status.cursors[0].progress;
  EXPECT_TRUE(status.cursors[0].finished);
  EXPECT_EQ(saved.rowsScanned, 3000);
  EXPECT_EQ(saved.estimatedTotal, 3000);
  ASSERT_TRUE(saved.baseline.has_value());
  EXPECT_EQ(saved.baseline->samples, 20u);
  EXPECT_EQ(saved.state, ThrottleState::Running);
  // The probe committed (its write in the ledger), and what its query wrote was rolled back.
  EXPECT_EQ(database.scalar("SELECT probed_at IS NOT NULL FROM tenantshift.probe_commit"), "t");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM probe_writes"), "0");
}

TEST(BackfillThrottle, SlowsDownWhileTheProbesQueryIsSlowAndResumesWhenItRecovers) {
  testing::ConvertedDatabase database("throttle", kSchema, kSpec);
  expectSlowsDownAndRecovers(
      database, [&] { database.exec("UPDATE probe_delay SET seconds = 5"); },
      [&] { database.exec("UPDATE probe_delay SET seconds = 0"); });
}

TEST(BackfillThrottle, AReadOnlyProbeWritesNothingAndCommitsNothing) {
  std::string spec = kSpec;
  const std::string timeout = "timeout: 300ms}";
  spec.replace(spec.find(timeout), timeout.size(), "timeout: 300ms, commit: false}");
  testing::ConvertedDatabase database("throttle_read_only", kSchema, spec);
  const std::string url = database.url;
  BackfillSettings backfill =
      backfillSettingsFor(database.migration.spec, [url] { return db::connect(url); });
  ASSERT_TRUE(backfill.throttle.has_value());
  ASSERT_FALSE(backfill.throttle->probeCommit);
  ExecutionSettings settings;
  settings.sleep = [](std::chrono::milliseconds) {};
  ProgressLog progressLog;
  Session session([url] { return db::connect(url); });
  const Ledger ledger = database.ledger();
  BackfillRunner runner(session, ledger, settings, progressLog, backfill);
  EXPECT_EQ(runner.run(database.step("backfill/items")), 3000);
  // It probed (a baseline was taken) as the application role, and rolled everything back.
  ASSERT_FALSE(progressLog.reports.empty());
  EXPECT_EQ(progressLog.reports.front().state, ThrottleState::Measuring);
  EXPECT_EQ(database.scalar("SELECT probed_at IS NULL FROM tenantshift.probe_commit"), "t");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM probe_writes"), "0");
}

TEST(BackfillThrottle, SlowsDownWhileTheProbesCommitIsSlowAndResumesWhenItRecovers) {
  testing::ConvertedDatabase database("throttle_commit", kSchema, kSpec);
  // The probe's durable write waits for this transaction's row lock.
  auto holder = db::connect(database.url);
  std::unique_ptr<pqxx::work> holding;
  expectSlowsDownAndRecovers(
      database,
      [&] {
        holding = std::make_unique<pqxx::work>(*holder);
        holding->exec("SELECT FROM tenantshift.probe_commit FOR UPDATE");
      },
      [&] {
        holding->commit();
        holding.reset();
      });
}

}  // namespace
}  // namespace tenantshift::engine
