// `tenantshift plan -o json` on the rentals chain: every converted table's tenant source, and for
// rentals (three NOT NULL paths to tenant tables) the choice and the alternatives it rejected.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/rentals_fixture.h"
#include "support/tenantshift_process.h"

namespace tenantshift::realistic {
namespace {

using tenantshift::testing::PostgresServer;
using tenantshift::testing::queryInt;
using tenantshift::testing::runTenantshift;

TEST(RealisticPlan, NamesEveryTablesSourceAndTheAlternativesRejectedForRentals) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("realistic_plan");
  loadRentals(url, "0.1");
  const auto plan = runTenantshift(url, {"plan", "-f", manifestPath().string(), "-o", "json"});
  ASSERT_EQ(plan.exitCode, 0) << plan.output;
  EXPECT_EQ(queryInt(url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'tenantshift'"), 0)
      << "plan changed the database";

  const auto json = nlohmann::json::parse(plan.out);
  ASSERT_TRUE(json.contains("decisions")) << plan.out;
  std::map<std::string, nlohmann::json> decisions;
  for (const auto& decision : json.at("decisions")) {
    decisions[decision.at("table").get<std::string>()] = decision;
  }
  std::vector<std::string> planned;
  planned.reserve(decisions.size());
  for (const auto& [table, decision] : decisions) {
    planned.push_back(table);
  }
  std::vector<std::string> expectedTables = kConvertedTables;
  std::sort(expectedTables.begin(), expectedTables.end());
  EXPECT_EQ(planned, expectedTables) << "converted tables (branches and the excluded global "
                                        "tables languages, films, film_stats, app_settings are "
                                        "not)";

  // What the manifest asks for, and what the planner must derive for the tables left to it.
  const std::map<std::string, std::string> sources = {
      {"stores", "column branch"},
      {"terminals", "column branch_no"},
      {"loyalty_cards", "parent customers via (customer_id)"},
      {"rentals", "parent staff via (staff_id)"},
      {"payments", "parent rentals via (rental_id)"},
      {"api_logs", "parent customers via (customer_id)"},
      {"audit_log", "parent rentals via (rental_id)"},
      {"customers", "parent stores via (store_id)"},
      {"inventory", "parent stores via (store_id)"},
      {"coupons", "parent stores via (store_id)"},
      {"ratings", "parent customers via (customer_id)"},
      {"Gift Cards \"VIP\"", "parent customers via (pid$ts$;SELECT 1;--)"},
      // Its only foreign key is nullable: rows with a customer take the customer's branch.
      {"notes", "parent customers via (customer_id)"},
  };
  for (const auto& [table, source] : sources) {
    SCOPED_TRACE("table " + table);
    ASSERT_TRUE(decisions.count(table));
    EXPECT_EQ(decisions[table].value("source", ""), source) << decisions[table].dump(2);
  }
  // The gift cards' trigger function reads NEW."pid$ts$;SELECT 1;--": its body holds the first
  // dollar-quote tag, so it is quoted with the next one (run by the conversion tests).
  std::string giftCardTrigger;
  for (const auto& step : json.at("steps")) {
    if (step.at("id") == "schema/trigger/Gift Cards \"VIP\"") {
      giftCardTrigger = step.at("up").dump();
    }
  }
  ASSERT_NE(giftCardTrigger.find("pid$ts$;SELECT 1;--"), std::string::npos) << giftCardTrigger;
  EXPECT_NE(giftCardTrigger.find("AS $ts1$"), std::string::npos) << giftCardTrigger;
  for (const std::string table : {"staff", "loyalty_cards"}) {
    EXPECT_TRUE(decisions[table].value("existingColumn", false)) << decisions[table].dump(2);
  }

  // rentals: the clerk's branch, chosen from three NOT NULL paths; the decision names the two
  // foreign keys it did not follow (to customers: accepted as cross-tenant; to inventory).
  const std::string rentals = decisions["rentals"].dump();
  for (const std::string rejected : {"rentals_customer_id_fkey", "rentals_inventory_id_fkey"}) {
    EXPECT_NE(rentals.find(rejected), std::string::npos)
        << "the rentals decision does not name the rejected alternative " << rejected << ":\n"
        << decisions["rentals"].dump(2);
  }
}

}  // namespace
}  // namespace tenantshift::realistic
