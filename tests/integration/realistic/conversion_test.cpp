// The acceptance test of a realistic conversion: the rentals chain is converted by
// `tenantshift run -f migration.yaml` while the old application (workload/*.sql, rentals_app,
// never setting a tenant) runs the whole time; then every row must be on the branch its data
// says (expected_tenant.sql), every generated row unchanged apart from branch_id
// (preserved_rows.sql), verify must pass, and after the flag a branch sees only its own rows,
// through the tables, the views and the function.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <utility>

#include "support/pgbench.h"
#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/rentals_fixture.h"
#include "support/tenantshift_process.h"

namespace tenantshift::realistic {
namespace {

using tenantshift::testing::expectCleanPgbench;
using tenantshift::testing::isCleanPgbench;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::queryInt;
using tenantshift::testing::queryValue;
using tenantshift::testing::runTenantshift;
using tenantshift::testing::TenantshiftProcess;

constexpr int kClients = 4;
constexpr int kTransactionsPerClient = 25;
constexpr int kChunkTransactions = kClients * kTransactionsPerClient;

bool backfillInProgress(const std::string& url) {
  if (queryInt(url,
               "SELECT count(*) FROM pg_class "
               "WHERE oid = to_regclass('tenantshift.backfill_cursor')") == 0) {
    return false;
  }
  return queryInt(url,
                  "SELECT count(*) FROM tenantshift.backfill_cursor "
                  "WHERE rows_done > 0 AND NOT finished") > 0;
}

// The old application in chunks of kChunkTransactions, cycling through pgbench's three query
// modes. The first three failed chunks are reported with pgbench's output; later ones are only
// counted, and the chunks go on, so that the conversion is never left without its workload.
class OldApplication {
 public:
  OldApplication(std::string url, WorkloadRanges ranges) : url_(std::move(url)), ranges_(ranges) {}

  void runChunk() {
    static const char* const modes[] = {"prepared", "simple", "extended"};
    const std::string mode = modes[chunks_ % 3];
    const auto chunk = runOldApplication(url_, ranges_, mode, kClients, kTransactionsPerClient);
    ++chunks_;
    if (isCleanPgbench(chunk, kChunkTransactions)) {
      return;
    }
    if (++failed_ <= 3) {
      SCOPED_TRACE("old-application chunk " + std::to_string(chunks_) + " (pgbench -M " + mode +
                   ")");
      expectCleanPgbench(chunk, kChunkTransactions);
    }
  }

  int chunks() const { return chunks_; }
  int failed() const { return failed_; }

 private:
  std::string url_;
  WorkloadRanges ranges_;
  int chunks_ = 0;
  int failed_ = 0;
};

TEST(RealisticConversion, ConvertsUnderTheOldApplicationWithEveryRowOnItsBranch) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("realistic_conversion");
  loadRentals(url, "1");
  OldApplication app(url, workloadRanges(url));
  const std::string manifest = manifestPath().string();

  // Schema, backfill, constraints, RLS and verify under the old application.
  TenantshiftProcess run(url, {"run", "-f", manifest, "--until", "verify"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  int chunksDuringBackfill = 0;
  while (!run.poll() && app.chunks() < 600 && std::chrono::steady_clock::now() < deadline) {
    if (backfillInProgress(url)) {
      ++chunksDuringBackfill;
    }
    app.runChunk();
  }
  const int firstStatus = run.wait();
  // Verify refuses the SECURITY DEFINER balance function of the superuser, which reads every
  // branch's rows whatever the policies say, and says what to do.
  ASSERT_EQ(firstStatus, 7) << "verify did not stop at customer_balance:\n" << run.output();
  EXPECT_NE(run.output().find("[exposure.function] customer_balance(integer)"), std::string::npos)
      << run.output();
  EXPECT_NE(run.output().find("spec.accept.functions"), std::string::npos) << run.output();
  // The reviewer makes it run with the caller's rights; the run goes on from verify.
  server.psql(url, "ALTER FUNCTION customer_balance(integer) SECURITY INVOKER");
  TenantshiftProcess again(url, {"run", "-f", manifest, "--until", "verify"});
  while (!again.poll() && std::chrono::steady_clock::now() < deadline) {
    app.runChunk();
  }
  const int runStatus = again.wait();
  EXPECT_EQ(app.failed(), 0) << app.failed() << " of " << app.chunks()
                             << " old-application chunks failed during the conversion";
  ASSERT_EQ(runStatus, 0) << "tenantshift run --until verify failed:\n" << again.output();
  EXPECT_GE(app.chunks(), 2) << "the conversion ended before the workload could overlap it";
  EXPECT_GE(chunksDuringBackfill, 1) << "no workload chunk started during the backfill";

  // Converted, before the flag: the old application still works.
  const int failedBefore = app.failed();
  app.runChunk();
  EXPECT_EQ(app.failed(), failedBefore) << "the old application fails on the converted database";

  // Every row on its branch, nothing else changed.
  expectEmptyCheck(url, "expected_tenant.sql", "rows on the wrong branch", "branch_id|expected");
  expectEmptyCheck(url, "preserved_rows.sql", "generated rows changed by the conversion",
                   "problem");

  // The flag, strict enforcement and the finalize steps, while the tenant-aware application
  // (each transaction setting its branch) writes the whole time; verify proves isolation as
  // rentals_app.
  TenantshiftProcess finish(url, {"run", "-f", manifest});
  int awareChunks = 0;
  int awareFailed = 0;
  auto runAwareChunk = [&] {
    const auto chunk = runTenantAwareApplication(url, kClients, kTransactionsPerClient);
    ++awareChunks;
    if (!isCleanPgbench(chunk, kChunkTransactions) && ++awareFailed <= 3) {
      SCOPED_TRACE("tenant-aware chunk " + std::to_string(awareChunks));
      expectCleanPgbench(chunk, kChunkTransactions);
    }
  };
  while (!finish.poll() && std::chrono::steady_clock::now() < deadline + std::chrono::minutes(5)) {
    runAwareChunk();
  }
  const int finishStatus = finish.wait();
  ASSERT_EQ(finishStatus, 0) << "tenantshift run (flag, enforce, finalize) failed:\n"
                             << finish.output();
  EXPECT_GE(awareChunks, 1) << "the final run ended before the tenant-aware workload overlapped it";
  runAwareChunk();  // and on the enforced database
  EXPECT_EQ(awareFailed, 0) << awareFailed << " of " << awareChunks
                            << " tenant-aware chunks failed during and after the final run";
  EXPECT_EQ(queryValue(url, "SELECT value FROM app_settings WHERE key = 'multi_tenant'"), "on");
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM customers WHERE email LIKE 'aware%'"), 0);

  // Still every row on its branch (the tenant-aware rows too), nothing else changed.
  expectEmptyCheck(url, "expected_tenant.sql", "rows on the wrong branch after the flag",
                   "branch_id|expected");
  expectEmptyCheck(url, "preserved_rows.sql", "generated rows changed by the final run", "problem");
  const auto verify = runTenantshift(url, {"verify", "-f", manifest});
  EXPECT_EQ(verify.exitCode, 0) << "tenantshift verify failed:\n" << verify.output;
}

// One value as rentals_app with app.current_branch_id set, or the error.
struct Seen {
  std::optional<std::string> value;
  std::string error;
};

Seen asBranch(pqxx::connection& app, const std::string& branch, const std::string& sql,
              const std::optional<std::string>& param) {
  Seen seen;
  try {
    pqxx::work tx(app);
    tx.exec_params("SELECT set_config('app.current_branch_id', $1, true)", branch);
    const pqxx::row row = param ? tx.exec_params1(sql, *param) : tx.exec1(sql);
    seen.value = row[0].is_null() ? "NULL" : row[0].as<std::string>();
    tx.abort();
  } catch (const pqxx::sql_error& error) {
    seen.error = error.what();
  }
  return seen;
}

std::string asSuperuser(const std::string& url, const std::string& sql,
                        const std::optional<std::string>& param) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  const pqxx::row row = param ? tx.exec_params1(sql, *param) : tx.exec1(sql);
  return row[0].is_null() ? "NULL" : row[0].as<std::string>();
}

// After the flag, as rentals_app with a branch set: its rows only, in the tables, the views
// (which read as their owner unless made security_invoker) and the SECURITY DEFINER function;
// the lookup function resolves slugs.
TEST(RealisticConversion, AfterTheFlagABranchSeesOnlyItsOwnRows) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("realistic_isolation");
  loadRentals(url, "0.2");
  const std::string manifest = manifestPath().string();
  // As verify asks (see the conversion test): the balance runs with the caller's rights.
  server.psql(url, "ALTER FUNCTION customer_balance(integer) SECURITY INVOKER");
  const auto run = runTenantshift(url, {"run", "-f", manifest});
  ASSERT_EQ(run.exitCode, 0) << "tenantshift run failed:\n" << run.output;

  const std::string north = "2";
  // A customer of branch 3 who rented at branch 2: branch 2 sees those rentals and payments,
  // nothing else of the customer's.
  const std::string visitor = asSuperuser(url,
                                          "SELECT min(r.customer_id) FROM rentals r "
                                          "JOIN customers c ON c.customer_id = r.customer_id "
                                          "JOIN stores s ON s.store_id = c.store_id "
                                          "JOIN staff st ON st.staff_id = r.staff_id "
                                          "WHERE s.branch = 3 AND st.branch_id = 2",
                                          std::nullopt);
  ASSERT_NE(visitor, "NULL") << "the fixture has no branch-3 customer renting at branch 2";
  // What a balance limited to branch 2's rows gives (rentals by branch 2's clerks and their
  // payments), against the chain-wide one.
  const std::string ownBalance =
      asSuperuser(url,
                  "SELECT coalesce((SELECT sum(f.rental_rate) FROM rentals r "
                  "JOIN staff st ON st.staff_id = r.staff_id "
                  "JOIN inventory i ON i.inventory_id = r.inventory_id "
                  "JOIN films f ON f.film_id = i.film_id "
                  "WHERE r.customer_id = $1::integer AND st.branch_id = 2), 0) "
                  "- coalesce((SELECT sum(p.amount) FROM payments p "
                  "JOIN rentals r ON r.rental_id = p.rental_id "
                  "JOIN staff st ON st.staff_id = r.staff_id "
                  "WHERE p.customer_id = $1::integer AND st.branch_id = 2), 0)",
                  visitor);
  ASSERT_NE(ownBalance, asSuperuser(url, "SELECT customer_balance($1::integer)", visitor))
      << "the check cannot tell a leaking balance from a safe one";

  pqxx::connection app(appUrl(url));
  for (const auto& table : kConvertedTables) {
    SCOPED_TRACE("table " + table);
    const std::string name = app.quote_name(table);
    const Seen foreign = asBranch(
        app, north, "SELECT count(*) FROM public." + name + " WHERE branch_id IS DISTINCT FROM 2",
        std::nullopt);
    EXPECT_EQ(foreign.value, "0") << "rows of other branches visible to branch 2 " << foreign.error;
    const Seen own = asBranch(app, north, "SELECT count(*) FROM public." + name, std::nullopt);
    EXPECT_EQ(own.value,
              asSuperuser(url, "SELECT count(*) FROM public." + name + " WHERE branch_id = 2",
                          std::nullopt))
        << own.error;
  }

  // Views and functions, against the same values computed as the superuser from the data.
  auto truth = [&](const std::string& sql) { return asSuperuser(url, sql, std::nullopt); };
  struct Expected {
    std::string what;
    std::string asApp;
    std::optional<std::string> param;
    std::string value;
  };
  const std::vector<Expected> expectations = {
      {"customer_list", "SELECT count(*) FROM customer_list", std::nullopt,
       truth("SELECT count(*) FROM customers c JOIN stores s ON s.store_id = c.store_id "
             "WHERE s.branch = 2")},
      {"active_customer_list (a view over a view)", "SELECT count(*) FROM active_customer_list",
       std::nullopt,
       truth("SELECT count(*) FROM customers c JOIN stores s ON s.store_id = c.store_id "
             "WHERE s.branch = 2 AND c.active")},
      {"staff_list (owned by the superuser)", "SELECT count(*) FROM staff_list", std::nullopt,
       truth("SELECT count(*) FROM staff WHERE branch_id = 2")},
      {"customer_balance (made SECURITY INVOKER, as verify asked) of a visiting customer",
       "SELECT customer_balance($1::integer)", visitor, ownBalance},
      {"tenant_id_for_slug('north')", "SELECT tenant_id_for_slug('north')::text", std::nullopt,
       truth("SELECT id::text FROM branches WHERE slug = 'north'")},
  };
  for (const auto& expected : expectations) {
    SCOPED_TRACE(expected.what);
    const Seen seen = asBranch(app, north, expected.asApp, expected.param);
    EXPECT_EQ(seen.value, expected.value)
        << "as rentals_app with branch 2: " << expected.asApp << " " << seen.error;
  }
}

}  // namespace
}  // namespace tenantshift::realistic
