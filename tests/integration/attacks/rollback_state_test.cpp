// What each rollback scenario leaves behind in the suite's databases (attack_states.h), beyond
// what the attack cases prove: the objects it promises to undo gone and the others still there,
// after `full` the schema as it was before the migration, every row kept, and the unchanged
// application reading every row and writing as it always did, with no tenant set.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "attack.h"
#include "attack_runner.h"
#include "attack_states.h"
#include "plan/sql_identifier.h"
#include "support/queries.h"
#include "support/rentals_fixture.h"
#include "support/schema_dump.h"

namespace tenantshift::attacks {
namespace {

using tenantshift::realistic::appUrl;
using tenantshift::realistic::expectEmptyCheck;
using tenantshift::realistic::kConvertedTables;
using tenantshift::testing::queryInt;
using tenantshift::testing::queryValue;
using tenantshift::testing::schemaDump;

// What a scenario leaves of the migration.
struct Promise {
  State state;
  bool policies;          // the tenant policies, RLS enabled (permissive without a tenant)
  bool lookupFunction;    // spec.tenant.lookupFunction
  bool triggerFunctions;  // the tenant triggers and their functions
  bool tenantColumns;     // the tenant column the migration added (customers.branch_id)
  bool bypassRole;        // spec.tenant.bypassRole (the migration created it)
  bool originalSchema;    // public's schema-only dump as before `tenantshift run`
};

std::ostream& operator<<(std::ostream& out, const Promise& promise) {
  return out << toString(promise.state);
}

constexpr Promise kPromises[] = {
    {State::kFlagOff, true, true, true, true, true, false},
    {State::kDisableRls, false, false, true, true, true, false},
    {State::kFull, false, false, false, false, false, true},
};

class RolledBack : public ::testing::TestWithParam<Promise> {
 protected:
  void SetUp() override {
    state_ = &attackState(GetParam().state);
    ASSERT_EQ(state_->error, "");
  }
  bool holds(const std::string& sql) const { return queryValue(state_->url, sql) == "t"; }
  const AttackState* state_ = nullptr;
};

TEST_P(RolledBack, LeavesWhatItsScenarioPromises) {
  const Promise& promised = GetParam();
  EXPECT_EQ(holds("SELECT count(*) > 0 FROM pg_policies WHERE schemaname = 'public' "
                  "AND policyname LIKE 'tenantshift%'"),
            promised.policies)
      << "the tenant policies";
  EXPECT_EQ(holds("SELECT count(*) > 0 FROM pg_class WHERE relnamespace = "
                  "'public'::regnamespace AND (relrowsecurity OR relforcerowsecurity)"),
            promised.policies)
      << "row-level security enabled or forced on a table";
  EXPECT_EQ(holds("SELECT to_regprocedure('public.tenant_id_for_slug(text)') IS NOT NULL"),
            promised.lookupFunction)
      << "the lookup function";
  EXPECT_EQ(holds("SELECT count(*) > 0 FROM pg_proc WHERE proname LIKE 'tenantshift\\_%\\_tenant'"),
            promised.triggerFunctions)
      << "the tenant trigger functions";
  EXPECT_EQ(holds("SELECT count(*) > 0 FROM pg_trigger WHERE tgname = 'tenantshift_tenant'"),
            promised.triggerFunctions)
      << "the tenant triggers";
  EXPECT_EQ(holds("SELECT count(*) > 0 FROM pg_attribute WHERE attrelid = "
                  "'public.customers'::regclass AND attname = 'branch_id' AND NOT attisdropped"),
            promised.tenantColumns)
      << "the tenant column of customers";
  EXPECT_EQ(holds("SELECT count(*) > 0 FROM pg_roles WHERE rolname = '" + state_->bypassRole + "'"),
            promised.bypassRole)
      << "the bypass role " << state_->bypassRole;
  const std::string dump = schemaDump(state_->url);
  if (promised.originalSchema) {
    EXPECT_EQ(dump, state_->schemaBefore) << "the schema is not the one before the migration";
  } else {
    EXPECT_NE(dump, state_->schemaBefore) << "the scenario undid more than it promises";
  }
  // Whatever the scenario, the ledger stays (closed to the app: see the attack cases) and the
  // feature flag is off.
  EXPECT_TRUE(holds("SELECT count(*) = 1 FROM pg_namespace WHERE nspname = 'tenantshift'"));
  EXPECT_EQ(queryValue(state_->url, "SELECT value FROM app_settings WHERE key = 'multi_tenant'"),
            "off");
}

TEST_P(RolledBack, KeepsEveryRow) {
  expectEmptyCheck(state_->url, "preserved_rows.sql", "rows changed or lost by the rollback",
                   "problem");
}

TEST_P(RolledBack, TheUnchangedApplicationSeesEveryRow) {
  std::vector<std::string> tables(kConvertedTables.begin(), kConvertedTables.end());
  tables.emplace_back("branches");
  for (const auto& table : tables) {
    const std::string count = "SELECT count(*) FROM " + plan::qualified("public", table);
    EXPECT_EQ(queryInt(appUrl(state_->url), count), queryInt(state_->url, count))
        << "rentals_app with no tenant set does not see every row of " << table;
  }
}

// The old application's statements (tests/fixtures/rentals/workload), no tenant set, in one
// transaction that is rolled back: its upserts need the original unique keys back.
TEST_P(RolledBack, TheUnchangedApplicationWritesAsBefore) {
  const auto& ids = state_->ids;
  const std::vector<std::string> statements = {
      "INSERT INTO customers (store_id, first_name, last_name, email) "
      "VALUES ({a_store}, 'Walk', 'In', '{b_email}') "
      "ON CONFLICT (email) DO UPDATE SET active = true, last_name = EXCLUDED.last_name",
      "UPDATE customers SET store_id = {b_store} WHERE customer_id = {a_customer}",
      "INSERT INTO ratings (customer_id, film_id, stars) VALUES ({a_customer}, {film}, 5) "
      "ON CONFLICT (customer_id, film_id) DO UPDATE SET stars = EXCLUDED.stars, rated_at = now()",
      "INSERT INTO loyalty_cards (customer_id, branch_id, card_no, active) "
      "VALUES ({a_customer}, NULL, 'WL-attack-suite', false)",
      "INSERT INTO \"Gift Cards \"\"VIP\"\"\" (\"pid$ts$;SELECT 1;--\", \"Guthaben €\", "
      "\"Code ÄÖÜ\", \"Note \"\"x\"\"\") VALUES ({a_customer}, 25, 'WL-attack-suite', '$$')",
      "INSERT INTO rentals (rental_date, inventory_id, customer_id, staff_id) "
      "SELECT clock_timestamp(), i.inventory_id, {a_customer}, s.manager_staff_id "
      "FROM inventory i JOIN stores s ON s.store_id = i.store_id "
      "WHERE i.inventory_id = {a_inventory}",
      "INSERT INTO payments (customer_id, staff_id, rental_id, amount, payment_date) "
      "SELECT customer_id, staff_id, rental_id, 2.99, clock_timestamp() FROM rentals "
      "WHERE rental_id = (SELECT max(rental_id) FROM rentals)",
      "INSERT INTO film_stats (film_id, times_rented, last_rented_at) VALUES ({film}, 1, now()) "
      "ON CONFLICT (film_id) DO UPDATE SET times_rented = film_stats.times_rented + 1",
      "INSERT INTO api_logs (endpoint, status, customer_id) VALUES ('/rent', 200, {a_customer})",
      "DELETE FROM api_logs WHERE log_id = {b_api_log}",
      "INSERT INTO notes (customer_id, body) VALUES ({a_customer}, 'called back')",
      "SELECT count(*) FROM customer_list WHERE id = {a_customer}",
      "SELECT customer_balance({a_customer})",
  };
  pqxx::connection connection(appUrl(state_->url));
  pqxx::work tx(connection);
  for (const auto& statement : statements) {
    const std::string sql = substitute(statement, ids);
    try {
      pqxx::subtransaction step(tx);
      const pqxx::result result = step.exec(sql);
      EXPECT_TRUE(result.affected_rows() > 0 || !result.empty()) << "changed nothing: " << sql;
      step.commit();
    } catch (const pqxx::sql_error& error) {
      ADD_FAILURE() << "the unchanged application's statement failed: " << sql << "\n"
                    << error.what();
    }
  }
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_log WHERE rental_id = "
                     "(SELECT max(rental_id) FROM rentals)")[0]
                .as<int>(),
            1)
      << "the application's audit trigger did not write the rental's audit row";
  tx.abort();
}

std::string scenarioName(const ::testing::TestParamInfo<Promise>& param) {
  std::string name(toString(param.param.state));
  for (char& c : name) {
    c = c == '-' ? '_' : c;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, RolledBack, ::testing::ValuesIn(kPromises), scenarioName);

}  // namespace
}  // namespace tenantshift::attacks
