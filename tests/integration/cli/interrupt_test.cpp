// `tenantshift run` killed with SIGKILL in the middle of a phase, then run again: the end state
// is that of a clean conversion.
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli_harness.h"
#include "support/postgres_server.h"

namespace tenantshift::clitest {
namespace {

using tenantshift::testing::PostgresServer;

// Whether the committed ledger shows the backfill midway: a table finished, and the step of
// another one running with part of its rows done. One statement, so one snapshot.
bool backfillMidway(const std::string& url) {
  if (queryInt(url,
               "SELECT count(*) FROM pg_class WHERE oid = "
               "to_regclass('tenantshift.backfill_cursor')") == 0) {
    return false;
  }
  return queryInt(url,
                  "SELECT ((SELECT count(*) FROM tenantshift.step WHERE phase = 'backfill' "
                  "AND state = 'running') = 1 "
                  "AND EXISTS (SELECT FROM tenantshift.backfill_cursor WHERE finished) "
                  "AND EXISTS (SELECT FROM tenantshift.backfill_cursor "
                  "WHERE NOT finished AND rows_done > 0))::int") == 1;
}

// Once a frozen runner's last statement has ended, what is committed stays as it is until the
// kill; a statement still running could yet commit.
bool runnerStatementsEnded(const std::string& url) {
  return waitUntil(
      [&] {
        return queryInt(url,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = 'tenantshift' AND state = 'active'") == 0;
      },
      std::chrono::seconds(30));
}

// Freezes `run` at a moment when the backfill is midway (see backfillMidway). Between two steps,
// or between the check and the freeze, the ledger can move on: then the runner goes on and the
// next moment is tried.
void freezeMidBackfill(const std::string& url, TenantshiftProcess& run) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const bool midway = waitUntil([&] { return backfillMidway(url) || run.poll().has_value(); },
                                  std::chrono::seconds(180));
    ASSERT_TRUE(midway) << "the backfill was never seen midway:\n" << run.output();
    ASSERT_FALSE(run.poll().has_value())
        << "the run ended before it could be killed in the backfill (make the data larger):\n"
        << run.output();
    run.freeze();
    ASSERT_TRUE(runnerStatementsEnded(url)) << "a statement of the frozen runner is still active:\n"
                                            << tenantshiftActivity(url);
    if (backfillMidway(url)) {
      return;
    }
    run.thaw();
  }
  FAIL() << "the backfill moved on between every check and the freeze:\n" << run.output();
}

void expectSameEndStateAsCleanRun(const std::string& url,
                                  const std::map<std::string, std::string>& checksumsBefore) {
  expectConvertedCatalog(url);
  EXPECT_EQ(invalidIndexes(url), "");
  EXPECT_EQ(schemaDump(url), cleanConversionDump())
      << "the schema differs from that of an uninterrupted conversion";
  EXPECT_EQ(dataChecksums(url), checksumsBefore);
  EXPECT_EQ(rowsOutsideDefaultTenant(url), 0);
  EXPECT_EQ(queryInt(url, "SELECT count(*) FROM tenantshift.step WHERE state <> 'done'"), 0);
}

TEST(CliInterrupt, SigkillDuringBackfillThenRunAgain) {
  // Computed first, so that the reference conversion does not compete with the timed run.
  ASSERT_FALSE(cleanConversionDump().empty());
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_kill_backfill");
  loadExample(url, "0.2");
  const auto checksumsBefore = dataChecksums(url);
  ScratchDir dir;
  ManifestOptions options;
  options.batchSize = 1000;
  options.pause = "50ms";
  const std::string manifest = writeManifest(dir.path(), options).string();

  std::vector<std::string> finishedBeforeKill;  // "table=rows" of tables backfilled already
  {
    TenantshiftProcess run(url, {"run", "-f", manifest});
    freezeMidBackfill(url, run);
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
    finishedBeforeKill =
        queryColumn(url,
                    "SELECT table_name || '=' || rows_done FROM tenantshift.backfill_cursor "
                    "WHERE finished ORDER BY table_name");
    EXPECT_EQ(run.kill(), 128 + SIGKILL);
  }
  waitForKilledSessions(url);
  // The killed runner's step is still `running` in the ledger, but status tells it apart from one
  // running now: its runner is gone.
  const auto status = runTenantshift(url, {"status", "-f", manifest});
  EXPECT_EQ(status.exitCode, 0) << status.output;
  EXPECT_NE(status.out.find("interrupted (runner gone) backfill/"), std::string::npos)
      << status.output;
  const auto statusJson = runTenantshift(url, {"status", "-f", manifest, "-o", "json"});
  int gone = 0;
  const auto statusSteps = nlohmann::json::parse(statusJson.out);
  for (const auto& step : statusSteps.at("steps")) {
    if (step.at("runnerGone").get<bool>()) {
      ++gone;
      EXPECT_EQ(step.at("state"), "running") << step.dump();
    }
  }
  EXPECT_EQ(gone, 1) << statusJson.out;

  const auto again = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(again.exitCode, 0) << again.output;
  expectSameEndStateAsCleanRun(url, checksumsBefore);
  // The second run resumed: tables finished before the kill were not backfilled again.
  ASSERT_FALSE(finishedBeforeKill.empty());
  for (const auto& entry : finishedBeforeKill) {
    const std::string table = entry.substr(0, entry.find('='));
    EXPECT_EQ(queryValue(url,
                         "SELECT table_name || '=' || rows_done FROM "
                         "tenantshift.backfill_cursor WHERE table_name = '" +
                             table + "'"),
              entry);
  }
}

TEST(CliInterrupt, SigkillDuringConstraintsThenRunAgain) {
  ASSERT_FALSE(cleanConversionDump().empty());
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_kill_constraints");
  loadExample(url, "0.02");
  const auto checksumsBefore = dataChecksums(url);
  ScratchDir dir;
  ManifestOptions options;
  options.lockTimeout = "200ms";
  const std::string manifest = writeManifest(dir.path(), options).string();

  const auto upToBackfill = runTenantshift(url, {"run", "-f", manifest, "--until", "backfill"});
  ASSERT_EQ(upToBackfill.exitCode, 0) << upToBackfill.output;

  {
    // An old snapshot on another connection: CREATE INDEX CONCURRENTLY waits for it. It waits
    // under spec.ddl.indexBuildTimeout, not lockTimeout, so it is not killed and rebuilt from
    // scratch on every retry (it never blocks the application meanwhile), and the run says
    // which session it waits for.
    pqxx::connection blockerConnection(url);
    pqxx::transaction<pqxx::repeatable_read> blocker(blockerConnection);
    blocker.exec("SELECT count(*) FROM alembic_version");
    const std::string blockerPid =
        std::to_string(blocker.exec1("SELECT pg_backend_pid()")[0].as<int>());

    TenantshiftProcess run(url, {"run", "-f", manifest});
    const bool waiting = waitUntil(
        [&] {
          return (queryInt(url,
                           "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND application_name = 'tenantshift' "
                           "AND wait_event = 'virtualxid' AND query ILIKE "
                           "'CREATE%CONCURRENTLY%'") > 0 &&
                  run.output().find("for=pid " + blockerPid) != std::string::npos) ||
                 run.poll().has_value();
        },
        std::chrono::seconds(120));
    ASSERT_TRUE(waiting) << "no concurrent index build reported waiting for pid " << blockerPid
                         << " in time:\n"
                         << run.output() << "\ntenantshift sessions:\n"
                         << tenantshiftActivity(url);
    ASSERT_FALSE(run.poll().has_value())
        << "the run ended although a snapshot blocks concurrent index builds:\n"
        << run.output();
    EXPECT_EQ(queryInt(url,
                       "SELECT max(attempts) FROM tenantshift.step WHERE phase = 'constraints' "
                       "AND state = 'running'"),
              1)
        << "the waiting build was retried instead of waiting";
    // Killed mid-build, the runner cannot clean up: the build that waits is an INVALID index,
    // the leftover the next run must drop and rebuild.
    run.freeze();
    EXPECT_NE(invalidIndexes(url), "") << tenantshiftActivity(url);
    EXPECT_EQ(run.kill(), 128 + SIGKILL);
    blocker.abort();
  }
  waitForKilledSessions(url);

  const auto again = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(again.exitCode, 0) << again.output;
  expectSameEndStateAsCleanRun(url, checksumsBefore);
}

}  // namespace
}  // namespace tenantshift::clitest
