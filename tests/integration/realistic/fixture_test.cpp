// The rentals fixture holds what the conversion tests rely on, and the old application runs on it
// as it is today: if these fail, a conversion test's failure says nothing about tenantshift.
#include <gtest/gtest.h>

#include "support/pgbench.h"
#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/rentals_fixture.h"

namespace tenantshift::realistic {
namespace {

using tenantshift::testing::expectCleanPgbench;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::queryInt;
using tenantshift::testing::queryValue;

TEST(RealisticFixture, HoldsTheCasesTheConversionMustHandle) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("realistic_fixture");
  loadRentals(url, "1");

  // A few thousand rows per table, about 50,000 in all.
  EXPECT_EQ(queryInt(url, "SELECT count(*) FROM customers"), 2000);
  EXPECT_EQ(queryInt(url, "SELECT count(*) FROM rentals"), 12000);
  EXPECT_GE(queryInt(url,
                     "SELECT sum(n_live_tup) FROM pg_stat_user_tables "
                     "WHERE schemaname = 'public'"),
            45000);
  // Rows in every leaf of the two-level partitioned table.
  EXPECT_EQ(queryValue(url,
                       "SELECT string_agg(c.relname || '=' || (SELECT count(*) > 0 FROM "
                       "payments p WHERE p.tableoid = c.oid)::text, ',' ORDER BY c.relname) "
                       "FROM pg_partition_tree('payments') t JOIN pg_class c ON c.oid = t.relid "
                       "WHERE t.isleaf"),
            "payments_2024=true,payments_2025=true,payments_current_0=true,"
            "payments_current_1=true");
  // The genuine cross-tenant references: customers renting at another branch's store, cards
  // issued at another branch than the customer's.
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM rentals r JOIN staff st ON st.staff_id = r.staff_id "
                     "JOIN customers c ON c.customer_id = r.customer_id "
                     "JOIN stores s ON s.store_id = c.store_id WHERE s.branch <> st.branch_id"),
            1200);
  EXPECT_GT(queryInt(url,
                     "SELECT count(*) FROM loyalty_cards l "
                     "JOIN customers c ON c.customer_id = l.customer_id "
                     "JOIN stores s ON s.store_id = c.store_id WHERE l.branch_id <> s.branch"),
            0);
  // Every other reference stays within a branch (rentals' item and clerk, coupons, managers).
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM rentals r JOIN staff st ON st.staff_id = r.staff_id "
                     "JOIN inventory i ON i.inventory_id = r.inventory_id "
                     "JOIN stores s ON s.store_id = i.store_id "
                     "LEFT JOIN coupons k ON k.code = r.coupon_code "
                     "WHERE s.branch <> st.branch_id OR k.store_id <> i.store_id"),
            0);
  EXPECT_EQ(
      queryInt(url,
               "SELECT count(*) FROM stores s JOIN staff m ON m.staff_id = s.manager_staff_id "
               "WHERE m.branch_id <> s.branch"),
      0);
  // Branch numbers of terminals without a branches row (the migration must create them), NULL
  // tenant values to fill, rows without a parent.
  EXPECT_EQ(queryValue(url,
                       "SELECT string_agg(DISTINCT branch_no::text, ',') FROM terminals t "
                       "WHERE NOT EXISTS (SELECT FROM branches b WHERE b.id = t.branch_no)"),
            "7,9");
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM loyalty_cards WHERE branch_id IS NULL"), 0);
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM api_logs WHERE customer_id IS NULL"), 0);
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM notes WHERE customer_id IS NULL"), 0);
  // The roles are as a production application's.
  EXPECT_EQ(
      queryValue(url,
                 "SELECT format('%s %s %s', rolcanlogin::text, rolsuper::text, rolbypassrls::text) "
                 "FROM pg_roles WHERE rolname = 'rentals_app'"),
      "true false false");
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                     "AND tableowner <> 'rentals_owner'"),
            0);
}

TEST(RealisticFixture, OldApplicationRunsCleanOnTheUnconvertedDatabase) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("realistic_workload");
  loadRentals(url, "1");
  const auto ranges = workloadRanges(url);
  for (const std::string mode : {"simple", "extended", "prepared"}) {
    SCOPED_TRACE("pgbench -M " + mode);
    expectCleanPgbench(runOldApplication(url, ranges, mode, 4, 200), 800);
  }
  // The workload changes generated rows only where preserved_rows.sql allows it, and writes
  // every kind of row the conversion tests count on.
  expectEmptyCheck(url, "preserved_rows.sql", "rows changed by the workload alone", "problem");
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM terminals WHERE branch_no >= 100"), 0);
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM customers WHERE email LIKE 'walkin%'"), 0);
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM ratings WHERE film_id > 500"), 0);
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM audit_log WHERE rental_id > 12000"), 0);
  EXPECT_GT(queryInt(url, "SELECT count(*) FROM payments_current"), 0);
}

}  // namespace
}  // namespace tenantshift::realistic
