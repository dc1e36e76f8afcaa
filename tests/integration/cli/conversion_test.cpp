// The full example conversion through the `tenantshift` binary, and a bad manifest that must
// change nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_harness.h"
#include "support/postgres_server.h"

namespace tenantshift::clitest {
namespace {

using tenantshift::testing::PostgresServer;

// A password that must never show up in anything tenantshift prints.
constexpr const char* kRunnerPassword = "Pw-e2e-7Hq2ZxV9sK";

// Every step of `status -o json` output, id -> state.
std::map<std::string, std::string> stepStates(const std::string& statusJson) {
  const auto status = nlohmann::json::parse(statusJson);
  std::map<std::string, std::string> states;
  for (const auto& step : status.at("steps")) {
    states[step.at("id").get<std::string>()] = step.at("state").get<std::string>();
  }
  return states;
}

// The steps of `plan -o json`: id, phase and SQL, in order.
nlohmann::json planSteps(const std::string& planJson) {
  return nlohmann::json::parse(planJson).at("steps");
}

TEST(CliConversion, ConvertsTheExampleAndKeepsEveryRow) {
  auto& server = PostgresServer::shared();
  const std::string superUrl = server.createDatabase("cli_convert");
  loadExample(superUrl, "0.02");
  // The runner logs in with a password: it must stay out of every output and log line.
  server.psql(superUrl,
              "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ts_e2e_runner') "
              "THEN CREATE ROLE ts_e2e_runner LOGIN SUPERUSER; END IF; END $$;"
              "ALTER ROLE ts_e2e_runner PASSWORD '" +
                  std::string(kRunnerPassword) + "';");
  const std::string url = urlAs(superUrl, "ts_e2e_runner", kRunnerPassword);
  ScratchDir dir;
  const std::string manifest = writeManifest(dir.path(), ManifestOptions{}).string();

  const auto checksumsBefore = dataChecksums(superUrl);
  for (const auto& [table, sum] : checksumsBefore) {
    EXPECT_NE(sum.substr(0, 2), "0:") << table << " has no rows: the example did not load";
  }

  std::string everything;  // all output of all commands, searched for the password at the end
  const auto planBefore = runTenantshift(url, {"plan", "-f", manifest, "-o", "json"});
  everything += planBefore.output;
  ASSERT_EQ(planBefore.exitCode, 0) << planBefore.output;
  const auto planTextBefore = runTenantshift(url, {"plan", "-f", manifest});
  everything += planTextBefore.output;
  ASSERT_EQ(planTextBefore.exitCode, 0) << planTextBefore.output;
  EXPECT_FALSE(schemaExists(superUrl, "tenantshift")) << "plan must not create the ledger";

  const auto run = runTenantshift(url, {"run", "-f", manifest});
  everything += run.output;
  ASSERT_EQ(run.exitCode, 0) << run.output;
  EXPECT_NE(run.output.find("done. Every table is tenant-scoped, verified and enforced"),
            std::string::npos)
      << run.output;
  // The log names the database, redacted.
  EXPECT_NE(run.output.find("ts_e2e_runner:***@"), std::string::npos) << run.output;

  expectConvertedCatalog(superUrl);
  EXPECT_EQ(dataChecksums(superUrl), checksumsBefore) << "the conversion changed data";
  EXPECT_EQ(rowsOutsideDefaultTenant(superUrl), 0);
  EXPECT_EQ(queryValue(superUrl, "SELECT enabled::text FROM feature_flags WHERE name = 'rls'"),
            "true");

  const auto status = runTenantshift(url, {"status", "-f", manifest, "-o", "json"});
  everything += status.output;
  ASSERT_EQ(status.exitCode, 0) << status.output;
  const auto states = stepStates(status.out);
  const auto plannedSteps = planSteps(planBefore.out);
  ASSERT_EQ(states.size(), plannedSteps.size()) << status.output;
  for (const auto& step : plannedSteps) {
    const std::string id = step.at("id").get<std::string>();
    EXPECT_EQ(states.count(id) ? states.at(id) : "missing", "done") << "step " << id;
  }
  const auto statusText = runTenantshift(url, {"status", "-f", manifest});
  everything += statusText.output;
  EXPECT_EQ(statusText.exitCode, 0) << statusText.output;

  // After the run the plan comes from the ledger's snapshot: the same steps as before.
  const auto planAfter = runTenantshift(url, {"plan", "-f", manifest, "-o", "json"});
  everything += planAfter.output;
  ASSERT_EQ(planAfter.exitCode, 0) << planAfter.output;
  EXPECT_EQ(planSteps(planAfter.out), plannedSteps);
  const auto planTextAfter = runTenantshift(url, {"plan", "-f", manifest});
  everything += planTextAfter.output;
  EXPECT_EQ(planTextAfter.out, planTextBefore.out);

  const auto verify = runTenantshift(url, {"verify", "-f", manifest});
  everything += verify.output;
  EXPECT_EQ(verify.exitCode, 0) << verify.output;

  // A second run finds every step done and changes nothing.
  const auto again = runTenantshift(url, {"run", "-f", manifest});
  everything += again.output;
  EXPECT_EQ(again.exitCode, 0) << again.output;
  EXPECT_EQ(again.output.find("step started"), std::string::npos)
      << "the second run executed steps again:\n"
      << again.output;
  const auto statusAgain = runTenantshift(url, {"status", "-f", manifest, "-o", "json"});
  everything += statusAgain.output;
  const auto before = nlohmann::json::parse(status.out).at("steps");
  const auto after = nlohmann::json::parse(statusAgain.out).at("steps");
  EXPECT_EQ(after, before) << "the second run changed the ledger";
  EXPECT_EQ(dataChecksums(superUrl), checksumsBefore);

  // A connection failure names the database, redacted.
  const auto unreachable = runTenantshift(url + "_missing", {"status", "-f", manifest});
  everything += unreachable.output;
  EXPECT_EQ(unreachable.exitCode, 9) << unreachable.output;  // database-unreachable
  EXPECT_NE(unreachable.output.find("ts_e2e_runner:***@"), std::string::npos) << unreachable.output;

  ASSERT_FALSE(everything.empty());
  EXPECT_EQ(everything.find(kRunnerPassword), std::string::npos)
      << "the database password appeared in tenantshift's output";
}

struct BadManifest {
  std::string description;
  std::string from;          // text of the example manifest to replace
  std::string to;            // its replacement
  std::string fieldInError;  // the field path the error must name
};

class CliBadManifest : public ::testing::TestWithParam<BadManifest> {};

TEST_P(CliBadManifest, ExitsTwoNamesTheFieldAndChangesNothing) {
  const BadManifest& bad = GetParam();
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_bad_spec");
  loadExample(url, "0.01");
  const std::string dumpBefore = schemaDump(url);
  const auto checksumsBefore = dataChecksums(url);
  ScratchDir dir;
  const std::string text = replaceOnce(readFile(exampleDir() / "migration.yaml"), bad.from, bad.to);
  const std::string manifest = writeFile(dir.path(), "bad.yaml", text).string();

  for (const char* command : {"plan", "run"}) {
    SCOPED_TRACE(command);
    const auto result = runTenantshift(url, {command, "-f", manifest});
    EXPECT_EQ(result.exitCode, 2) << result.output;
    EXPECT_NE(result.err.find(bad.fieldInError), std::string::npos)
        << "the error does not name " << bad.fieldInError << ":\n"
        << result.output;
    EXPECT_NE(result.err.find("Nothing was changed"), std::string::npos) << result.output;
  }
  EXPECT_FALSE(schemaExists(url, "tenantshift")) << "the ledger was created";
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM information_schema.columns "
                     "WHERE table_schema = 'public' AND column_name = 'tenant_id'"),
            0);
  EXPECT_EQ(queryInt(url, "SELECT count(*) FROM pg_class WHERE relname = 'tenants'"), 0);
  EXPECT_EQ(schemaDump(url), dumpBefore);
  EXPECT_EQ(dataChecksums(url), checksumsBefore);
}

INSTANTIATE_TEST_SUITE_P(
    Manifests, CliBadManifest,
    ::testing::Values(BadManifest{"UnknownTable", "  tables:\n",
                                  "  tables:\n    - name: no_such_table\n", "spec.tables[0].name"},
                      BadManifest{"UnknownField", "    batchSize: 5000\n",
                                  "    batchSize: 5000\n    batchSzie: 10\n",
                                  "spec.backfill.batchSzie"}),
    [](const ::testing::TestParamInfo<BadManifest>& param) { return param.param.description; });

// `run --until verify`, then someone changes the schema, then `run`: the verification no longer
// holds for the schema as it is, so `run` verifies again before the flag flips; a data change
// alone does not count. The final message says "verified and enforced" only when it holds.
TEST(CliConversion, RunVerifiesAgainWhenTheSchemaChangedSinceVerify) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_reverify");
  loadExample(url, "0.02");
  ScratchDir dir;
  const std::string manifest = writeManifest(dir.path(), ManifestOptions{}).string();
  const auto verified = runTenantshift(url, {"run", "-f", manifest, "--until", "verify"});
  ASSERT_EQ(verified.exitCode, 0) << verified.output;
  const std::string fingerprint = queryValue(
      url, "SELECT verified_fingerprint FROM tenantshift.step WHERE step_id = 'verify/isolation'");
  ASSERT_FALSE(fingerprint.empty());

  // A DBA adds a report view over users, owned by the superuser, for the application.
  server.psql(url,
              "CREATE VIEW user_emails AS SELECT id, email FROM users;"
              "GRANT SELECT ON user_emails TO alphapulse_app;"
              "UPDATE users SET full_name = 'changed' WHERE id = 1;");
  const auto refused = runTenantshift(url, {"run", "-f", manifest});
  EXPECT_EQ(refused.exitCode, 7) << refused.output;  // verify-failed
  EXPECT_NE(refused.output.find("user_emails"), std::string::npos) << refused.output;
  EXPECT_EQ(queryValue(url, "SELECT enabled::text FROM feature_flags WHERE name = 'rls'"), "false")
      << "the flag flipped on a verification that no longer held";

  server.psql(url, "DROP VIEW user_emails;");
  const auto done = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(done.exitCode, 0) << done.output;
  EXPECT_NE(done.out.find("done. Every table is tenant-scoped, verified and enforced"),
            std::string::npos)
      << done.output;
  // Enforced: the verification the run ended with is a strict one.
  EXPECT_EQ(queryValue(url,
                       "SELECT report->>'strict' FROM tenantshift.step WHERE step_id = "
                       "'verify/isolation'"),
            "true");
  // Nothing changed since: run again verifies nothing new.
  const std::string strictFingerprint = queryValue(
      url, "SELECT verified_fingerprint FROM tenantshift.step WHERE step_id = 'verify/isolation'");
  const auto again = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(again.exitCode, 0) << again.output;
  EXPECT_EQ(again.output.find("verify started"), std::string::npos) << "verified again for nothing";
  EXPECT_NE(done.output.find("verify started"), std::string::npos) << done.output;
  EXPECT_EQ(queryValue(url,
                       "SELECT verified_fingerprint FROM tenantshift.step WHERE step_id = "
                       "'verify/isolation'"),
            strictFingerprint);
}

}  // namespace
}  // namespace tenantshift::clitest
