// Zero downtime: today's application (examples/alphapulse/workload/app.sql under pgbench) keeps
// working with 0 failed transactions while `tenantshift run` converts the database under it;
// after the flag, the tenant-aware application sees only its own tenant's rows.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "cli_harness.h"
#include "support/pgbench.h"
#include "support/postgres_server.h"

namespace tenantshift::clitest {
namespace {

using tenantshift::testing::CommandResult;
using tenantshift::testing::expectCleanPgbench;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::runPgbench;

constexpr const char* kSecondTenant = "00000000-0000-0000-0000-0000000000b2";

CommandResult pgbench(const std::string& url, const std::string& script, const std::string& mode,
                      int clients, int transactionsPerClient,
                      const std::vector<std::string>& variables) {
  return runPgbench(urlAs(url, "alphapulse_app", ""), {{exampleDir() / "workload" / script}},
                    {mode, clients, transactionsPerClient, variables});
}

bool backfillInProgress(const std::string& url) {
  if (queryInt(url,
               "SELECT count(*) FROM pg_class WHERE oid = "
               "to_regclass('tenantshift.backfill_cursor')") == 0) {
    return false;
  }
  return queryInt(url,
                  "SELECT count(*) FROM tenantshift.backfill_cursor "
                  "WHERE rows_done > 0 AND NOT finished") > 0;
}

std::int64_t visibleAs(const std::string& url, const std::string& tenant,
                       const std::string& table) {
  pqxx::connection connection(urlAs(url, "alphapulse_app", ""));
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config($1, $2, true)", "app.current_tenant_id", tenant);
  return tx.exec1("SELECT count(*) FROM public." + tx.quote_name(table))[0].as<std::int64_t>();
}

TEST(CliZeroDowntime, AppWorkloadNeverFailsDuringTheConversion) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_zero_downtime");
  loadExample(url, "0.2");  // 400 users, 800 accounts, 48,000 orders, 8,000 positions
  const std::vector<std::string> appRanges = {"nusers=400", "naccounts=80", "norders=48000",
                                              "npositions=8000"};
  ScratchDir dir;
  ManifestOptions options;
  options.batchSize = 1000;
  options.pause = "30ms";
  const std::string manifest = writeManifest(dir.path(), options).string();

  // Before the conversion: the workload runs as today.
  expectCleanPgbench(pgbench(url, "app.sql", "prepared", 4, 25, appRanges), 100);

  TenantshiftProcess run(url, {"run", "-f", manifest, "--until", "verify"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  int chunks = 0;
  int chunksDuringBackfill = 0;
  while (!run.poll() && chunks < 400 && std::chrono::steady_clock::now() < deadline) {
    if (backfillInProgress(url)) {
      ++chunksDuringBackfill;
    }
    const auto chunk =
        pgbench(url, "app.sql", chunks % 2 == 0 ? "prepared" : "simple", 4, 25, appRanges);
    ++chunks;
    SCOPED_TRACE("pgbench chunk " + std::to_string(chunks));
    expectCleanPgbench(chunk, 100);
    if (::testing::Test::HasFailure()) {
      break;
    }
  }
  const int runStatus = run.wait();
  ASSERT_EQ(runStatus, 0) << run.output();
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the application failed during the conversion";
  EXPECT_GE(chunks, 2) << "the conversion ended before the workload could overlap it";
  EXPECT_GE(chunksDuringBackfill, 1) << "no workload chunk started during the backfill";
  // After the run through verify (no flag yet) the application still works as before.
  expectCleanPgbench(pgbench(url, "app.sql", "prepared", 4, 25, appRanges), 100);
  const auto rest = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(rest.exitCode, 0) << rest.output;
  expectConvertedCatalog(url);
}

TEST(CliZeroDowntime, AfterTheFlagEachTenantSeesOnlyItsRows) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_tenant_workload");
  loadExample(url, "0.02");  // 40 users, 80 accounts
  ScratchDir dir;
  const std::string manifest = writeManifest(dir.path(), ManifestOptions{}).string();

  // The flag and strict enforcement.
  const auto flag = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(flag.exitCode, 0) << flag.output;
  EXPECT_EQ(queryValue(url, "SELECT enabled::text FROM feature_flags WHERE name = 'rls'"), "true");
  expectConvertedCatalog(url);

  // The tenant-aware application, default tenant: its self-check aborts on any foreign row.
  expectCleanPgbench(pgbench(url, "tenant.sql", "extended", 4, 25,
                             {std::string("tenant=") + kDefaultTenant, "naccounts=80"}),
                     100);

  // A second tenant that owns three users and everything of theirs.
  // Moved table by table by the administrator, with the foreign-key triggers off for the
  // session (each tenant-consistent key refuses a half-moved family).
  server.psql(url, std::string("SET session_replication_role = replica;"
                               "INSERT INTO tenants (id, slug, name) VALUES ('") +
                       kSecondTenant +
                       "', 'beta', 'Beta Capital');"
                       "CREATE TEMP TABLE moved AS SELECT id FROM trading_accounts "
                       "WHERE user_id <= 3;"
                       "UPDATE users SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE id <= 3;"
                       "UPDATE trading_accounts SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE id IN (SELECT id FROM moved);"
                       "UPDATE orders SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE account_id IN (SELECT id FROM moved);"
                       "UPDATE trades SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE account_id IN (SELECT id FROM moved);"
                       "UPDATE positions SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE account_id IN (SELECT id FROM moved);"
                       "UPDATE portfolio_snapshots SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE account_id IN (SELECT id FROM moved);"
                       "UPDATE risk_metrics SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE account_id IN (SELECT id FROM moved);"
                       "UPDATE agent_signals SET tenant_id = '" +
                       kSecondTenant +
                       "' WHERE user_id <= 3;"
                       "UPDATE audit_logs SET tenant_id = '" +
                       kSecondTenant + "' WHERE user_id <= 3;");
  const std::int64_t allUsers = queryInt(url, "SELECT count(*) FROM users");
  EXPECT_EQ(visibleAs(url, kSecondTenant, "users"), 3);
  EXPECT_EQ(visibleAs(url, kSecondTenant, "trading_accounts"), 6);
  EXPECT_EQ(visibleAs(url, kDefaultTenant, "users"), allUsers - 3);
  EXPECT_EQ(visibleAs(url, kSecondTenant, "orders"),
            queryInt(url, std::string("SELECT count(*) FROM orders WHERE tenant_id = '") +
                              kSecondTenant + "'"));

  expectCleanPgbench(pgbench(url, "tenant.sql", "extended", 4, 25,
                             {std::string("tenant=") + kSecondTenant, "naccounts=80"}),
                     100);
  expectCleanPgbench(pgbench(url, "tenant.sql", "prepared", 4, 25,
                             {std::string("tenant=") + kDefaultTenant, "naccounts=80"}),
                     100);
  EXPECT_EQ(visibleAs(url, kSecondTenant, "users"), 3) << "the workload leaked users across";
}

}  // namespace
}  // namespace tenantshift::clitest
