// The throttle's latency probe, as the engine runs it.
//
// It watches the database during the backfill phase only: once the engine moves on to the
// constraints, rls, verify and flag phases, it no longer runs (no load, no short transactions
// for the DDL to wait for, no probe of a table whose policies are enforced). The probe counts its
// calls in a sequence (nextval survives the probe's rolled-back transaction); the count is read
// when the first step after the backfill phase starts and when the run has returned, and nothing
// in between may have probed.
//
// It probes as the application role (SET ROLE). A runner that is neither a superuser nor a
// member of that role cannot: the backfill fails before its first batch with a message that
// names spec.backfill.throttle and both ways out, records it in the ledger, and runs once the
// role is granted.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "backfill_fixture.h"
#include "engine/backfill_runner.h"
#include "engine/engine.h"
#include "engine/engine_error.h"
#include "engine/execution.h"

namespace tenantshift::engine {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL);
INSERT INTO items SELECT g, 'x' FROM generate_series(1, 2000) g;
ANALYZE items;
CREATE SEQUENCE probe_calls;
CREATE FUNCTION probe() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('probe_calls') $$;
GRANT USAGE ON SEQUENCE probe_calls TO APP_ROLE;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO APP_ROLE;
)sql";

constexpr const char* kSpec = R"yaml(  tables:
    - name: items
  backfill:
    batchSize: 100
    throttle:
      probe: {sql: "SELECT probe()", interval: 1ms}
      baselineSamples: 20
      windowSamples: 10
)yaml";

TEST(ThrottleProbe, TheProbeStopsWhenTheBackfillPhaseEnds) {
  testing::ConvertedDatabase database("probe_life", kSchema, kSpec);
  // The probe's call count when the first step after the backfill phase starts.
  std::optional<std::string> callsAfterBackfill;
  std::string firstStepAfterBackfill;
  testing::ProgressLog log;
  log.onStepStarted = [&](const plan::Step& step) {
    if (!callsAfterBackfill && plan::isBefore(plan::Phase::Backfill, step.phase)) {
      callsAfterBackfill = database.scalar("SELECT last_value FROM probe_calls");
      firstStepAfterBackfill = step.id;
    }
  };
  Engine engine(database.url, database.migration, log);
  const RunResult result = engine.run(RunOptions{});
  ASSERT_TRUE(result.complete);

  // The probe ran during the backfill (its baseline alone is 20 calls) ...
  ASSERT_TRUE(callsAfterBackfill.has_value());
  EXPECT_GE(std::stoll(*callsAfterBackfill), 20);
  // ... and not once after it: not during the constraints, rls, verify and flag phases.
  EXPECT_EQ(database.scalar("SELECT last_value FROM probe_calls"), *callsAfterBackfill)
      << "the probe ran after " << firstStepAfterBackfill << " started";
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
}

TEST(ThrottleProbe, ARunnerThatMayNotTakeTheApplicationRoleIsToldToGrantItOrTurnTheThrottleOff) {
  testing::ConvertedDatabase database("throttle_role", kSchema, kSpec);
  // Not a superuser, not a member of the application role: it may update items and write the
  // ledger, no more.
  const std::string runner = database.createRunner("GRANT UPDATE, SELECT ON items TO RUNNER;");
  ExecutionSettings settings;
  settings.sleep = [](std::chrono::milliseconds) {};
  SilentObserver silent;
  const std::string url = database.urlAs(runner);
  const Ledger ledger = database.ledger();
  const plan::Step& step = database.step("backfill/items");
  std::string message;
  {
    Session session([url] { return db::connect(url); });
    BackfillRunner refused(
        session, ledger, settings, silent,
        backfillSettingsFor(database.migration.spec, [url] { return db::connect(url); }));
    try {
      refused.run(step);
      ADD_FAILURE() << "the backfill ran without its probe's role";
    } catch (const EngineError& error) {
      message = error.what();
    }
  }
  EXPECT_NE(message.find("spec.backfill.throttle is enabled"), std::string::npos) << message;
  EXPECT_NE(message.find("as the application role " + database.appRole), std::string::npos)
      << message;
  EXPECT_NE(message.find("neither a superuser nor a member of " + database.appRole),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("GRANT \"" + database.appRole + "\" TO \"" + runner + "\""),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.backfill.throttle.enabled: false"), std::string::npos) << message;
  // Nothing was backfilled, and `status` shows why.
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NOT NULL"), "0");
  EXPECT_EQ(database.scalar("SELECT state || ': ' || error FROM tenantshift.step WHERE step_id = "
                            "'backfill/items'"),
            "failed: " + message);

  // The first way out: grant the role.
  database.exec("GRANT " + database.appRole + " TO " + runner);
  Session session([url] { return db::connect(url); });
  BackfillRunner granted(
      session, ledger, settings, silent,
      backfillSettingsFor(database.migration.spec, [url] { return db::connect(url); }));
  EXPECT_EQ(granted.run(step), 2000);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM items WHERE tenant_id IS NULL"), "0");
}

}  // namespace
}  // namespace tenantshift::engine
