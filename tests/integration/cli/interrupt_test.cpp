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

// The ledger's backfill progress (0 while the ledger does not exist yet), and whether a
// backfill step is still to do.
std::int64_t backfilledRows(const std::string& url, bool* unfinished) {
  *unfinished = false;
  if (queryInt(url,
               "SELECT count(*) FROM pg_class WHERE oid = "
               "to_regclass('tenantshift.backfill_cursor')") == 0) {
    return 0;
  }
  *unfinished = queryInt(url,
                         "SELECT count(*) FROM tenantshift.step WHERE phase = 'backfill' "
                         "AND state <> 'done'") > 0;
  return queryInt(url, "SELECT coalesce(sum(rows_done), 0) FROM tenantshift.backfill_cursor");
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
    std::int64_t done = 0;
    bool unfinished = false;
    const bool midway = waitUntil(
        [&] {
          done = backfilledRows(url, &unfinished);
          return (done >= 20000 && unfinished) || run.poll().has_value();
        },
        std::chrono::seconds(180));
    ASSERT_TRUE(midway) << "backfill did not reach 20000 rows in time:\n" << run.output();
    ASSERT_FALSE(run.poll().has_value())
        << "the run ended before it could be killed in the backfill (make the data larger):\n"
        << run.output();
    run.freeze();
    bool stillUnfinished = false;
    const std::int64_t atKill = backfilledRows(url, &stillUnfinished);
    EXPECT_TRUE(stillUnfinished) << "backfill finished before the kill; rows done " << atKill;
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
