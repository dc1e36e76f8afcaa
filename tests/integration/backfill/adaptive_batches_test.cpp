// Adaptive batches on a real database: a trigger gives every updated row a cost (pg_sleep), so a
// batch takes at least rows x cost; the batch size must shrink while rows are expensive and grow
// again once they are cheap. Nothing here is timed: the per-row sleep is a lower bound on a
// batch's duration, which is all the shrinking needs, and growing needs only some batch of cheap
// rows to take less than the target. The table was never analysed, so the ETA is unknown
// throughout, never 0.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "backfill_fixture.h"
#include "cli/status_format.h"
#include "engine/backfill_runner.h"
#include "engine/execution.h"

namespace tenantshift::engine {
namespace {

using testing::ProgressLog;

// Never analysed (and autovacuum off, so that nothing analyses it while the test runs): the
// planner's estimate of its rows is 0.
constexpr const char* kSchema = R"sql(
CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL)
  WITH (autovacuum_enabled = false);
INSERT INTO items SELECT g, 'x' FROM generate_series(1, 3000) g;
CREATE TABLE row_cost (seconds float8 NOT NULL);
INSERT INTO row_cost VALUES (0.002);
CREATE FUNCTION costly_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep((SELECT seconds FROM public.row_cost)); RETURN NEW; END $$;
CREATE TRIGGER items_cost BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION costly_row();
-- Fires for the backfill's updates too (batches run as replica). Its names are qualified: it
-- runs in the backfill's session, whose search_path is not the application's.
ALTER TABLE items ENABLE ALWAYS TRIGGER items_cost;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO APP_ROLE;
)sql";

// The first batch is maxBatchSize (200 rows): at 2 ms a row it takes at least 400 ms, four
// times the 100 ms target.
constexpr const char* kSpec = R"yaml(  tables:
    - name: items
  exclude: [row_cost]
  backfill:
    targetBatchDuration: 100ms
    minBatchSize: 10
    maxBatchSize: 200
    throttle: {enabled: false}
)yaml";

TEST(AdaptiveBatches, ShrinkWhileRowsAreExpensiveAndGrowWhenTheyAreCheapAgain) {
  testing::ConvertedDatabase database("adaptive", kSchema, kSpec);
  const std::string url = database.url;
  ASSERT_EQ(database.step("backfill/items").backfill->estimatedRows, 0);
  ExecutionSettings settings;
  settings.sleep = [](std::chrono::milliseconds) {};
  const Ledger ledger = database.ledger();

  int shrunkTo = 0;  // the batch size after the expensive rows
  std::vector<int> sizesAfterCheap;
  nlohmann::json savedEta;
  ProgressLog progressLog;
  progressLog.onBatch = [&](const BackfillProgress& progress) {
    if (progress.sweeping) {
      return;
    }
    if (shrunkTo == 0) {
      shrunkTo = progress.batchSize;
      database.exec("UPDATE row_cost SET seconds = 0");
      // What `status -o json` shows while the backfill runs.
      auto connection = db::connect(url);
      pqxx::read_transaction tx(*connection);
      const nlohmann::json status = cli::statusToJson(ledger.status(tx));
      savedEta = status.at("cursors").at(0).at("progress").at("etaSeconds");
      return;
    }
    sizesAfterCheap.push_back(progress.batchSize);
  };

  Session session([url] { return db::connect(url); });
  BackfillRunner runner(
      session, ledger, settings, progressLog,
      backfillSettingsFor(database.migration.spec, [url] { return db::connect(url); }));
  EXPECT_EQ(runner.run(database.step("backfill/items")), 3000);

  // 200 rows took at least 400 ms: at most 0.5 rows/ms, so at most 50 rows fit the target.
  EXPECT_GT(shrunkTo, 0);
  EXPECT_LE(shrunkTo, 50);
  // Cheap rows: the size grows again (at most doubling per batch, up to maxBatchSize).
  ASSERT_FALSE(sizesAfterCheap.empty());
  EXPECT_GT(*std::max_element(sizesAfterCheap.begin(), sizesAfterCheap.end()), shrunkTo);
  EXPECT_LE(*std::max_element(sizesAfterCheap.begin(), sizesAfterCheap.end()), 200);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");

  // The table had no estimate: no ETA while it ran (unknown, not 0), on the terminal and in the
  // ledger; rows/s was measured all the same.
  for (const BackfillProgress& report : progressLog.reports) {
    EXPECT_FALSE(report.eta.has_value()) << "ETA " << report.eta->count() << " s";
  }
  EXPECT_TRUE(savedEta.is_null()) << savedEta.dump();
  EXPECT_GT(progressLog.reports.back().rowsPerSecond, 0);
}

}  // namespace
}  // namespace tenantshift::engine
