// `tenantshift rollback` on a fully converted example: each scenario leaves the state it
// promises, and `full` refuses to drop tenant assignments written since the migration began.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "cli_harness.h"
#include "support/postgres_server.h"

namespace tenantshift::clitest {
namespace {

using tenantshift::testing::PostgresServer;

constexpr const char* kOtherTenant = "00000000-0000-0000-0000-0000000000aa";

// Rows of `table` the application's role sees; `tenant` empty: no tenant set.
std::int64_t appVisibleRows(const std::string& url, const std::string& table,
                            const std::string& tenant) {
  pqxx::connection connection(urlAs(url, "alphapulse_app", ""));
  pqxx::work tx(connection);
  if (!tenant.empty()) {
    tx.exec_params("SELECT set_config($1, $2, true)", "app.current_tenant_id", tenant);
  }
  return tx.exec1("SELECT count(*) FROM public." + tx.quote_name(table))[0].as<std::int64_t>();
}

std::int64_t rowsOf(const std::string& url, const std::string& table) {
  return queryInt(url, "SELECT count(*) FROM public." + table);
}

std::int64_t tenantshiftPolicies(const std::string& url) {
  return queryInt(url,
                  "SELECT count(*) FROM pg_policies WHERE schemaname = 'public' "
                  "AND policyname LIKE 'tenantshift%'");
}

std::int64_t tablesWithRls(const std::string& url) {
  return queryInt(url,
                  "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname = 'public' AND (c.relrowsecurity OR c.relforcerowsecurity)");
}

TEST(CliRollback, EachScenarioLeavesWhatItPromises) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_rollback");
  loadExample(url, "0.01");
  const std::string dumpBefore = schemaDump(url);
  const auto checksumsBefore = dataChecksums(url, true);
  ScratchDir dir;
  ManifestOptions options;
  options.bypassRole = "ts_e2e_bypass_rollback";
  const std::string manifest = writeManifest(dir.path(), options).string();

  const auto run = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(run.exitCode, 0) << run.output;
  const std::int64_t trades = rowsOf(url, "trades");
  ASSERT_GT(trades, 0);
  EXPECT_EQ(appVisibleRows(url, "trades", ""), 0) << "enforced: no tenant set, no rows";
  EXPECT_EQ(appVisibleRows(url, "trades", kDefaultTenant), trades);

  const auto flagOff = runTenantshift(url, {"rollback", "-f", manifest, "--scenario", "flag-off"});
  ASSERT_EQ(flagOff.exitCode, 0) << flagOff.output;
  EXPECT_EQ(queryValue(url, "SELECT enabled::text FROM feature_flags WHERE name = 'rls'"), "false");
  for (const auto& table : kTenantTables) {
    EXPECT_EQ(appVisibleRows(url, table, ""), rowsOf(url, table))
        << "after flag-off the application without a tenant must see every row of " << table;
  }
  EXPECT_EQ(appVisibleRows(url, "trades", kDefaultTenant), trades);
  // Four policies on each tenant table and on the tenants table.
  EXPECT_EQ(tenantshiftPolicies(url), 4 * static_cast<std::int64_t>(kTenantTables.size() + 1));

  const auto disableRls =
      runTenantshift(url, {"rollback", "-f", manifest, "--scenario", "disable-rls"});
  ASSERT_EQ(disableRls.exitCode, 0) << disableRls.output;
  EXPECT_EQ(tenantshiftPolicies(url), 0);
  EXPECT_EQ(tablesWithRls(url), 0);
  EXPECT_EQ(appVisibleRows(url, "trades", ""), trades);

  const auto full = runTenantshift(url, {"rollback", "-f", manifest, "--scenario", "full"});
  ASSERT_EQ(full.exitCode, 0) << full.output;
  EXPECT_EQ(schemaDump(url), dumpBefore) << "full rollback did not restore the original schema";
  EXPECT_EQ(dataChecksums(url, true), checksumsBefore);

  // Rolled back completely, the migration can run again from the start.
  const auto rerun = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(rerun.exitCode, 0) << rerun.output;
  expectConvertedCatalog(url);
}

TEST(CliRollback, FullRefusesToLoseNewTenantsUnlessAllowed) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_rollback_loss");
  loadExample(url, "0.01");
  ScratchDir dir;
  ManifestOptions options;
  options.bypassRole = "ts_e2e_bypass_loss";
  const std::string manifest = writeManifest(dir.path(), options).string();
  const auto run = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(run.exitCode, 0) << run.output;

  // A new customer signs up after the conversion.
  const std::int64_t usersBefore = rowsOf(url, "users");
  server.psql(url, std::string("INSERT INTO tenants (id, slug, name) VALUES ('") + kOtherTenant +
                       "', 'acme', 'Acme');"
                       "INSERT INTO users (email, username, tenant_id) VALUES "
                       "('ops@acme.example', 'acme_ops', '" +
                       kOtherTenant + "');");
  const std::string dumpConverted = schemaDump(url);
  const auto checksumsConverted = dataChecksums(url, true);
  const auto statusBefore = runTenantshift(url, {"status", "-f", manifest, "-o", "json"});
  ASSERT_EQ(statusBefore.exitCode, 0) << statusBefore.output;

  const auto refused = runTenantshift(url, {"rollback", "-f", manifest, "--scenario", "full"});
  EXPECT_EQ(refused.exitCode, 8) << refused.output;  // data-loss-refused
  EXPECT_NE(refused.output.find("--allow-data-loss"), std::string::npos) << refused.output;
  EXPECT_EQ(schemaDump(url), dumpConverted) << "the refused rollback changed the schema";
  EXPECT_EQ(dataChecksums(url, true), checksumsConverted);
  EXPECT_EQ(queryValue(url, "SELECT enabled::text FROM feature_flags WHERE name = 'rls'"), "true");
  const auto statusAfter = runTenantshift(url, {"status", "-f", manifest, "-o", "json"});
  EXPECT_EQ(statusAfter.out, statusBefore.out) << "the refused rollback changed the ledger";

  const auto allowed =
      runTenantshift(url, {"rollback", "-f", manifest, "--scenario", "full", "--allow-data-loss"});
  ASSERT_EQ(allowed.exitCode, 0) << allowed.output;
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM information_schema.columns "
                     "WHERE table_schema = 'public' AND column_name = 'tenant_id'"),
            0);
  EXPECT_EQ(queryInt(url, "SELECT count(*) FROM pg_class WHERE relname = 'tenants'"), 0);
  EXPECT_EQ(tablesWithRls(url), 0);
  EXPECT_EQ(rowsOf(url, "users"), usersBefore + 1)
      << "the users themselves stay; only their tenant goes";
}

}  // namespace
}  // namespace tenantshift::clitest
