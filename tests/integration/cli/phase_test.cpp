// `tenantshift phase NAME`, as the operator's Job for a phase runs it: one phase and nothing
// before it, refused while an earlier phase is not done, idempotent, stopped by SIGTERM between
// backfill batches and resumed, refused while another runner holds the lock; and the
// termination message it leaves behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli_harness.h"
#include "engine/runner_lock.h"
#include "support/postgres_server.h"

namespace tenantshift::clitest {
namespace {

using tenantshift::testing::PostgresServer;

const std::vector<std::string> kPhasesInOrder = {"schema", "backfill", "constraints",
                                                 "rls",    "verify",   "flag"};

// A phase Job's command line (the operator's, with a file of the test's own).
std::vector<std::string> phaseJob(const std::string& phase, const std::string& manifest,
                                  const std::filesystem::path& terminationLog) {
  return {"phase", phase, "-f", manifest, "--termination-message-path", terminationLog.string()};
}

nlohmann::json terminationMessage(const std::filesystem::path& file) {
  const std::string text = readFile(file);
  EXPECT_LE(text.size(), 4096U);
  return nlohmann::json::parse(text);
}

// Each step of `status -o json`: id, phase and state (what both ways of converting must agree
// on; timings and attempts differ).
nlohmann::json stepStates(const std::string& url, const std::string& manifest) {
  const auto status = runTenantshift(url, {"status", "-f", manifest, "-o", "json"});
  EXPECT_EQ(status.exitCode, 0) << status.output;
  nlohmann::json out = nlohmann::json::array();
  const auto statusJson = nlohmann::json::parse(status.out);
  for (const auto& step : statusJson.at("steps")) {
    out.push_back({step.at("id"), step.at("phase"), step.at("state")});
  }
  return out;
}

nlohmann::json planJson(const std::string& url, const std::string& manifest) {
  const auto plan = runTenantshift(url, {"plan", "-f", manifest, "-o", "json"});
  EXPECT_EQ(plan.exitCode, 0) << plan.output;
  return nlohmann::json::parse(plan.out);
}

std::int64_t rowsWithoutTenant(const std::string& url) {
  std::string sql = "SELECT 0";
  for (const auto& table : kTenantTables) {
    sql += " + (SELECT count(*) FROM public." + table + " WHERE tenant_id IS NULL)";
  }
  return queryInt(url, sql);
}

TEST(CliPhase, RefusesAPhaseWhoseEarlierPhasesAreNotDone) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_phase_prerequisites");
  loadExample(url, "0.01");
  ScratchDir dir;
  const std::string manifest =
      writeJsonManifest(dir.path(), writeManifest(dir.path(), ManifestOptions{})).string();
  const auto terminationLog = dir.path() / "termination-log";
  const auto plan = planJson(url, manifest);

  const auto refused = runTenantshift(url, phaseJob("backfill", manifest, terminationLog));
  EXPECT_EQ(refused.exitCode, 5) << refused.output;
  EXPECT_NE(refused.err.find("phase backfill needs phase schema done first"), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.err.find("`tenantshift phase schema`"), std::string::npos) << refused.output;
  EXPECT_FALSE(schemaExists(url, "tenantshift")) << "the refused phase created the ledger";
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM information_schema.columns "
                     "WHERE table_schema = 'public' AND column_name = 'tenant_id'"),
            0);

  const auto message = terminationMessage(terminationLog);
  EXPECT_EQ(message.at("outcome"), "prerequisites-missing");
  EXPECT_EQ(message.at("exitCode"), 5);
  EXPECT_EQ(message.at("command"), "phase");
  EXPECT_EQ(message.at("phase"), "backfill");
  EXPECT_EQ(message.at("migration"), "alphapulse");
  EXPECT_NE(message.at("message").get<std::string>().find("phase schema"), std::string::npos);
  EXPECT_EQ(message.at("planHash"), plan.at("planHash"));
  EXPECT_EQ(message.at("steps").at("done"), 0);
  EXPECT_EQ(message.at("steps").at("total"), plan.at("stepCounts").at("total"));
  EXPECT_EQ(message.at("phaseSteps").at("total"),
            plan.at("stepCounts").at("phases").at("backfill"));

  const auto schema = runTenantshift(url, phaseJob("schema", manifest, terminationLog));
  ASSERT_EQ(schema.exitCode, 0) << schema.output;
  const auto constraints = runTenantshift(url, phaseJob("constraints", manifest, terminationLog));
  EXPECT_EQ(constraints.exitCode, 5) << constraints.output;
  EXPECT_NE(constraints.err.find("needs phase backfill done first"), std::string::npos)
      << constraints.output;
  EXPECT_EQ(terminationMessage(terminationLog).at("outcome"), "prerequisites-missing");
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM tenantshift.step WHERE phase <> 'schema' "
                     "AND state <> 'pending'"),
            0)
      << "a refused phase ran steps";
}

TEST(CliPhase, PhaseByPhaseReachesWhatRunReachesAndEachPhaseIsIdempotent) {
  ASSERT_FALSE(cleanConversionDump().empty());
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_phase_each");
  const std::string reference = server.createDatabase("cli_phase_reference");
  loadExample(url, "0.01");
  loadExample(reference, "0.01");
  const auto checksumsBefore = dataChecksums(url);
  ScratchDir dir;
  const std::string manifest =
      writeJsonManifest(dir.path(), writeManifest(dir.path(), ManifestOptions{})).string();
  const auto terminationLog = dir.path() / "termination-log";
  const std::string planHash = planJson(url, manifest).at("planHash");

  for (const std::string& phase : kPhasesInOrder) {
    SCOPED_TRACE("phase " + phase);
    const auto done = runTenantshift(url, phaseJob(phase, manifest, terminationLog));
    ASSERT_EQ(done.exitCode, 0) << done.output;
    const auto message = terminationMessage(terminationLog);
    EXPECT_EQ(message.at("outcome"), "completed");
    EXPECT_EQ(message.at("exitCode"), 0);
    EXPECT_EQ(message.at("phase"), phase);
    EXPECT_EQ(message.at("planHash"), planHash);
    EXPECT_GT(message.at("phaseSteps").at("total").get<int>(), 0);
    EXPECT_EQ(message.at("phaseSteps").at("done"), message.at("phaseSteps").at("total"));
    EXPECT_NE(done.out.find("phase " + phase + " done"), std::string::npos) << done.output;

    const auto before = stepStates(url, manifest);
    const auto again = runTenantshift(url, phaseJob(phase, manifest, terminationLog));
    EXPECT_EQ(again.exitCode, 0) << again.output;
    EXPECT_NE(again.out.find("was done already; nothing to do"), std::string::npos) << again.output;
    EXPECT_EQ(again.output.find("step started"), std::string::npos) << again.output;
    EXPECT_EQ(stepStates(url, manifest), before) << "running a done phase again changed the ledger";
    EXPECT_EQ(terminationMessage(terminationLog).at("outcome"), "completed");
  }
  const auto last = terminationMessage(terminationLog);
  EXPECT_EQ(last.at("steps").at("done"), last.at("steps").at("total"));

  const auto run = runTenantshift(reference, {"run", "-f", manifest});
  ASSERT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(stepStates(url, manifest), stepStates(reference, manifest));
  EXPECT_EQ(queryValue(url,
                       "SELECT report->>'strict' FROM tenantshift.step "
                       "WHERE step_id = 'verify/isolation'"),
            "true")
      << "phase flag did not end with a strict verification, as run does";
  expectConvertedCatalog(url);
  EXPECT_EQ(schemaDump(url), cleanConversionDump());
  EXPECT_EQ(dataChecksums(url), checksumsBefore);
  EXPECT_EQ(rowsOutsideDefaultTenant(url), 0);
  EXPECT_EQ(queryValue(url, "SELECT enabled::text FROM feature_flags WHERE name = 'rls'"), "true");

  // Nothing is left for `run` either.
  const auto runAfter = runTenantshift(url, {"run", "-f", manifest});
  EXPECT_EQ(runAfter.exitCode, 0) << runAfter.output;
  EXPECT_EQ(runAfter.output.find("step started"), std::string::npos) << runAfter.output;
}

TEST(CliPhase, SigtermDuringBackfillPausesBetweenBatchesAndThePhaseResumes) {
  ASSERT_FALSE(cleanConversionDump().empty());
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_phase_sigterm");
  loadExample(url, "0.2");
  const auto checksumsBefore = dataChecksums(url);
  ScratchDir dir;
  ManifestOptions options;
  options.batchSize = 1000;
  options.pause = "50ms";
  const std::string manifest =
      writeJsonManifest(dir.path(), writeManifest(dir.path(), options)).string();
  const auto terminationLog = dir.path() / "termination-log";
  const auto schema = runTenantshift(url, phaseJob("schema", manifest, terminationLog));
  ASSERT_EQ(schema.exitCode, 0) << schema.output;

  std::vector<std::string> finishedBeforeStop;
  {
    TenantshiftProcess backfill(url, phaseJob("backfill", manifest, terminationLog));
    const bool midway = waitUntil(
        [&] {
          return queryInt(url,
                          "SELECT coalesce(sum(rows_done), 0) FROM "
                          "tenantshift.backfill_cursor") >= 20000 ||
                 backfill.poll().has_value();
        },
        std::chrono::seconds(180));
    ASSERT_TRUE(midway) << "backfill did not reach 20000 rows in time:\n" << backfill.output();
    ASSERT_FALSE(backfill.poll().has_value())
        << "the backfill ended before it could be stopped (make the data larger):\n"
        << backfill.output();
    // While it runs, its step is running and its runner is there.
    const auto live = runTenantshift(url, {"status", "-f", manifest, "-o", "json"});
    ASSERT_EQ(live.exitCode, 0) << live.output;
    int running = 0;
    const auto liveJson = nlohmann::json::parse(live.out);
    for (const auto& step : liveJson.at("steps")) {
      if (step.at("state") == "running") {
        ++running;
        EXPECT_FALSE(step.at("runnerGone").get<bool>()) << step.dump();
      }
    }
    EXPECT_EQ(running, 1) << live.out;

    ASSERT_EQ(::kill(backfill.pid(), SIGTERM), 0);
    EXPECT_EQ(backfill.wait(), 3) << backfill.output();
    EXPECT_NE(backfill.output().find("stopped by SIGTERM"), std::string::npos) << backfill.output();
    finishedBeforeStop =
        queryColumn(url,
                    "SELECT table_name || '=' || rows_done FROM tenantshift.backfill_cursor "
                    "WHERE finished ORDER BY table_name");
  }
  const auto message = terminationMessage(terminationLog);
  EXPECT_EQ(message.at("outcome"), "paused");
  EXPECT_EQ(message.at("exitCode"), 3);
  EXPECT_EQ(message.at("phase"), "backfill");
  EXPECT_NE(message.at("message").get<std::string>().find("stopped by SIGTERM"), std::string::npos)
      << message.dump();
  EXPECT_LT(message.at("phaseSteps").at("done"), message.at("phaseSteps").at("total"));
  // The ledger is consistent: nothing failed, nothing left running, the backfill resumable.
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM tenantshift.step WHERE state IN "
                     "('failed', 'running')"),
            0);
  EXPECT_GT(queryInt(url,
                     "SELECT count(*) FROM tenantshift.step WHERE phase = 'backfill' "
                     "AND state = 'pending'"),
            0);
  EXPECT_GT(rowsWithoutTenant(url), 0) << "the backfill was finished before SIGTERM";

  const auto resumed = runTenantshift(url, phaseJob("backfill", manifest, terminationLog));
  ASSERT_EQ(resumed.exitCode, 0) << resumed.output;
  EXPECT_EQ(terminationMessage(terminationLog).at("outcome"), "completed");
  EXPECT_EQ(rowsWithoutTenant(url), 0) << "rows left without a tenant after the resumed backfill";
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM tenantshift.step WHERE phase = 'backfill' "
                     "AND state <> 'done'"),
            0);
  // Resumed, not started over: the tables finished before the stop were not backfilled again.
  for (const auto& entry : finishedBeforeStop) {
    const std::string table = entry.substr(0, entry.find('='));
    EXPECT_EQ(queryValue(url,
                         "SELECT table_name || '=' || rows_done FROM "
                         "tenantshift.backfill_cursor WHERE table_name = '" +
                             table + "'"),
              entry);
  }
  const auto rest = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(rest.exitCode, 0) << rest.output;
  EXPECT_EQ(schemaDump(url), cleanConversionDump());
  EXPECT_EQ(dataChecksums(url), checksumsBefore);
}

TEST(CliPhase, AnotherRunnerHoldingTheLockGivesLockHeld) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_phase_lock");
  loadExample(url, "0.01");
  ScratchDir dir;
  const std::string manifest =
      writeJsonManifest(dir.path(), writeManifest(dir.path(), ManifestOptions{})).string();
  const auto terminationLog = dir.path() / "termination-log";
  ASSERT_EQ(runTenantshift(url, phaseJob("schema", manifest, terminationLog)).exitCode, 0);

  auto other = engine::RunnerLock::acquire(url, "alphapulse", "run");
  const auto refused = runTenantshift(url, phaseJob("backfill", manifest, terminationLog));
  EXPECT_EQ(refused.exitCode, 4) << refused.output;
  EXPECT_NE(refused.err.find("another tenantshift runner"), std::string::npos) << refused.output;
  const auto message = terminationMessage(terminationLog);
  EXPECT_EQ(message.at("outcome"), "lock-held");
  EXPECT_EQ(message.at("exitCode"), 4);
  EXPECT_NE(message.at("message").get<std::string>().find(other->runnerId()), std::string::npos)
      << message.dump();
  EXPECT_EQ(runTenantshift(url, {"run", "-f", manifest}).exitCode, 4);
  EXPECT_EQ(runTenantshift(url, {"rollback", "-f", manifest, "--scenario", "flag-off"}).exitCode,
            4);
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM tenantshift.step WHERE phase = 'backfill' "
                     "AND state <> 'pending'"),
            0);

  other.reset();
  const auto done = runTenantshift(url, phaseJob("backfill", manifest, terminationLog));
  EXPECT_EQ(done.exitCode, 0) << done.output;
}

// The operator passes the approved plan's hash to each phase Job: the pod plans again, and runs
// only when its plan is the approved one, so that approval cannot be sidestepped by a change of
// the spec or the schema between the approval and the Job.
TEST(CliPhase, ExpectPlanHashRunsOnlyTheApprovedPlan) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_phase_expect_hash");
  loadExample(url, "0.01");
  ScratchDir dir;
  const std::string approved =
      writeJsonManifest(dir.path(), writeManifest(dir.path(), ManifestOptions{})).string();
  ManifestOptions changedOptions;
  changedOptions.bypassRole = "ts_cli_expect_hash_bypass";
  const std::string changed =
      writeJsonManifest(dir.path(), writeManifest(dir.path(), changedOptions, "changed.yaml"),
                        "changed.json")
          .string();
  const std::string approvedHash = planJson(url, approved).at("planHash");
  const std::string changedHash = planJson(url, changed).at("planHash");
  ASSERT_NE(approvedHash, changedHash) << "the spec change must change the plan";
  const auto terminationLog = dir.path() / "termination-log";
  const auto before = schemaDump(url);

  auto expecting = [&](const std::string& manifest, const std::string& hash) {
    auto args = phaseJob("schema", manifest, terminationLog);
    args.insert(args.end(), {"--expect-plan-hash", hash});
    return runTenantshift(url, args);
  };
  // The spec changed since the approval: refused, plan drift, nothing changed.
  const auto drifted = expecting(changed, approvedHash);
  EXPECT_EQ(drifted.exitCode, 6) << drifted.output;
  EXPECT_NE(drifted.err.find("not the expected " + approvedHash), std::string::npos)
      << drifted.output;
  const auto message = terminationMessage(terminationLog);
  EXPECT_EQ(message.at("outcome"), "plan-drift");
  EXPECT_EQ(message.at("exitCode"), 6);
  EXPECT_FALSE(schemaExists(url, "tenantshift")) << "the refused phase created the ledger";
  EXPECT_EQ(schemaDump(url), before);
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM pg_roles WHERE rolname = "
                     "'ts_cli_expect_hash_bypass'"),
            0);

  // A hash that was never a plan's (a typo) is refused the same way.
  EXPECT_EQ(expecting(approved, "0000000000000000").exitCode, 6);
  EXPECT_EQ(schemaDump(url), before);

  // The approved plan runs; the next phase with the same hash too.
  const auto ran = expecting(approved, approvedHash);
  EXPECT_EQ(ran.exitCode, 0) << ran.output;
  auto backfill = phaseJob("backfill", approved, terminationLog);
  backfill.insert(backfill.end(), {"--expect-plan-hash", approvedHash});
  const auto filled = runTenantshift(url, backfill);
  EXPECT_EQ(filled.exitCode, 0) << filled.output;
  EXPECT_EQ(rowsWithoutTenant(url), 0);
}

TEST(CliPhase, AnUnreachableDatabaseIsNamedWithoutItsUrl) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_phase_unreachable");
  ScratchDir dir;
  const std::string manifest =
      writeJsonManifest(dir.path(), writeManifest(dir.path(), ManifestOptions{})).string();
  const auto terminationLog = dir.path() / "termination-log";
  const std::string missing = urlAs(url + "_missing", "ts_nobody", "Unreachable-Pw-51");
  const auto failed = runTenantshift(missing, phaseJob("schema", manifest, terminationLog));
  EXPECT_EQ(failed.exitCode, 9) << failed.output;
  const std::string text = readFile(terminationLog);
  EXPECT_EQ(text.find("Unreachable-Pw-51"), std::string::npos) << text;
  EXPECT_EQ(text.find("_missing"), std::string::npos) << "the URL is in the message: " << text;
  const auto message = nlohmann::json::parse(text);
  EXPECT_EQ(message.at("outcome"), "database-unreachable");
  EXPECT_FALSE(message.contains("planHash"));
  EXPECT_EQ(failed.output.find("Unreachable-Pw-51"), std::string::npos) << failed.output;
}

TEST(CliPhase, ABadCommandLineStillLeavesATerminationMessage) {
  ScratchDir dir;
  const auto terminationLog = dir.path() / "termination-log";
  const auto bad = runTenantshift(
      "postgresql://nowhere/x",
      {"phase", "backfil", "-f", "m.json", "--termination-message-path", terminationLog.string()});
  EXPECT_EQ(bad.exitCode, 2) << bad.output;
  const auto message = terminationMessage(terminationLog);
  EXPECT_EQ(message.at("outcome"), "invalid-input");
  EXPECT_NE(message.at("message").get<std::string>().find("backfil"), std::string::npos);
}

}  // namespace
}  // namespace tenantshift::clitest
