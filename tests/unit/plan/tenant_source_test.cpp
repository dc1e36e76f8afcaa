#include <gtest/gtest.h>

#include "api/spec_error.h"
#include "catalog_builder.h"
#include "plan/planner.h"

namespace tenantshift::plan {
namespace {

using testing::catalogOf;
using testing::decisionFor;
using testing::fromParent;
using testing::listed;
using testing::positionOf;
using testing::specFor;
using testing::TableBuilder;

// users <- trading_accounts <- trades <- trade_fills, all NOT NULL foreign keys.
Catalog tradingCatalog() {
  return catalogOf({
      TableBuilder("trade_fills")
          .id()
          .column("trade_id", "bigint", true)
          .foreignKey("trade_fills_trade_id_fkey", {"trade_id"}, "trades"),
      TableBuilder("trades")
          .id()
          .column("account_id", "bigint", true)
          .foreignKey("trades_account_id_fkey", {"account_id"}, "trading_accounts"),
      TableBuilder("trading_accounts")
          .id()
          .column("user_id", "bigint", true)
          .foreignKey("trading_accounts_user_id_fkey", {"user_id"}, "users"),
      TableBuilder("users").id().column("email", "text", true),
  });
}

TEST(TenantSource, DerivesAThreeHopChainFromNotNullForeignKeys) {
  const Plan plan = buildPlan(specFor(), tradingCatalog());
  ASSERT_EQ(plan.decisions.size(), 4u);
  EXPECT_EQ(decisionFor(plan, "users")->source, "default tenant");
  EXPECT_EQ(decisionFor(plan, "trading_accounts")->source, "parent users via (user_id)");
  EXPECT_EQ(decisionFor(plan, "trades")->source, "parent trading_accounts via (account_id)");
  EXPECT_EQ(decisionFor(plan, "trade_fills")->source, "parent trades via (trade_id)");
  EXPECT_NE(decisionFor(plan, "trades")->reason.find("trades_account_id_fkey"), std::string::npos);
  // Parents first.
  std::vector<std::string> order;
  for (const auto& decision : plan.decisions) {
    order.push_back(decision.table);
  }
  EXPECT_EQ(order,
            (std::vector<std::string>{"users", "trading_accounts", "trades", "trade_fills"}));
  EXPECT_LT(positionOf(plan, "backfill/users"), positionOf(plan, "backfill/trading_accounts"));
  EXPECT_LT(positionOf(plan, "backfill/trading_accounts"), positionOf(plan, "backfill/trades"));
  EXPECT_LT(positionOf(plan, "backfill/trades"), positionOf(plan, "backfill/trade_fills"));
}

TEST(TenantSource, NullableForeignKeysAreFollowedAndRowsWithoutAParentGetTheDefault) {
  Catalog catalog = catalogOf({
      TableBuilder("comments")
          .id()
          .column("user_id", "bigint", false)
          .foreignKey("comments_user_id_fkey", {"user_id"}, "users"),
      TableBuilder("users").id(),
  });
  const Plan plan = buildPlan(specFor(), catalog);
  const auto* comments = decisionFor(plan, "comments");
  ASSERT_NE(comments, nullptr);
  EXPECT_EQ(comments->source, "parent users via (user_id)");
  EXPECT_TRUE(comments->nullableSource);
  EXPECT_EQ(comments->sourceForeignKey, "comments_user_id_fkey");
  EXPECT_NE(comments->reason.find("nullable foreign key comments_user_id_fkey"), std::string::npos)
      << comments->reason;
  EXPECT_NE(comments->reason.find("is NULL get the default tenant"), std::string::npos)
      << comments->reason;
  EXPECT_NE(plan.findStep("schema/trigger/comments"), nullptr);
  EXPECT_EQ(plan.findStep("schema/default/comments"), nullptr);
}

// An order referencing its customer, its product and the staff member who took it: the stated
// rule picks one, and the plan shows each rejected alternative with the rule that decided.
Catalog ordersCatalog(bool staffNullable) {
  return catalogOf({
      TableBuilder("customers").id(),
      TableBuilder("products")
          .id()
          .column("customer_id", "bigint", true)
          .foreignKey("products_customer_fkey", {"customer_id"}, "customers"),
      TableBuilder("staff").id(),
      TableBuilder("orders")
          .id()
          .column("customer_id", "bigint", true)
          .column("product_id", "bigint", true)
          .column("staff_id", "bigint", !staffNullable)
          .foreignKey("orders_customer_id_fkey", {"customer_id"}, "customers")
          .foreignKey("orders_product_id_fkey", {"product_id"}, "products")
          .foreignKey("orders_staff_id_fkey", {"staff_id"}, "staff"),
  });
}

TEST(TenantSource, SeveralCandidateParentsAreRankedByTheStatedRuleAndAlternativesShown) {
  Plan plan = buildPlan(specFor(), ordersCatalog(false));
  const TableDecision* orders = decisionFor(plan, "orders");
  ASSERT_NE(orders, nullptr);
  // customers and staff are one hop from a root, products two: by name, customers wins.
  EXPECT_EQ(orders->source, "parent customers via (customer_id)");
  ASSERT_EQ(orders->alternatives.size(), 2u);
  EXPECT_NE(orders->alternatives[0].find("orders_product_id_fkey to products: ranks after "
                                         "orders_customer_id_fkey (its path has 2 hops"),
            std::string::npos)
      << orders->alternatives[0];
  EXPECT_NE(orders->alternatives[1].find("orders_staff_id_fkey to staff: ranks after "
                                         "orders_customer_id_fkey (by name"),
            std::string::npos)
      << orders->alternatives[1];
  EXPECT_NE(orders->alternatives[1].find("rule: NOT NULL before nullable"), std::string::npos);

  // A NOT NULL foreign key wins over a nullable one, whatever the names.
  auto nullableCustomer = ordersCatalog(false);
  for (auto& table : nullableCustomer.tables) {
    if (table.name == "orders") {
      for (auto& column : table.columns) {
        if (column.name == "customer_id") {
          column.notNull = false;
        }
      }
    }
  }
  plan = buildPlan(specFor(), nullableCustomer);
  EXPECT_EQ(decisionFor(plan, "orders")->source, "parent staff via (staff_id)");
  EXPECT_NE(decisionFor(plan, "orders")->alternatives[0].find("it is nullable"), std::string::npos)
      << decisionFor(plan, "orders")->alternatives[0];
}

TEST(TenantSource, AcceptedCrossTenantReferencesAreNeverTheSource) {
  auto orders = listed("orders");
  orders.crossTenantRefs = {"orders_customer_id_fkey"};
  const auto spec = specFor(std::vector<api::TableSpec>{orders});
  const Plan plan = buildPlan(spec, ordersCatalog(false));
  const TableDecision* decision = decisionFor(plan, "orders");
  EXPECT_EQ(decision->source, "parent staff via (staff_id)");
  EXPECT_EQ(decision->crossTenantRefs, std::vector<std::string>{"orders_customer_id_fkey"});
  bool shown = false;
  for (const auto& alternative : decision->alternatives) {
    shown = shown ||
            alternative.find(
                "orders_customer_id_fkey to customers: accepted as a "
                "cross-tenant reference (spec.tables[0].crossTenantRefs)") != std::string::npos;
  }
  EXPECT_TRUE(shown);
}

TEST(TenantSource, CrossTenantRefsMustNameAForeignKeyToATenantTableThatIsNotTheSource) {
  auto expectError = [](const api::TableSpec& table, const std::string& field,
                        const std::string& words) {
    try {
      buildPlan(specFor(std::vector<api::TableSpec>{table}), ordersCatalog(false));
      ADD_FAILURE() << "expected a SpecError for " << field;
    } catch (const api::SpecError& error) {
      EXPECT_EQ(error.field(), field);
      EXPECT_NE(std::string(error.what()).find(words), std::string::npos) << error.what();
    }
  };
  auto unknown = listed("orders");
  unknown.crossTenantRefs = {"orders_customer_id_fkey", "orders_nope"};
  expectError(unknown, "spec.tables[0].crossTenantRefs[1]",
              "has no foreign key 'orders_nope' (its foreign keys: orders_customer_id_fkey");
  auto source = fromParent("orders", "staff", {"staff_id"});
  source.crossTenantRefs = {"orders_staff_id_fkey"};
  expectError(source, "spec.tables[0].crossTenantRefs[0]", "is where the rows of 'orders' get");
}

TEST(TenantSource, CompositeForeignKeysJoinOnEveryColumn) {
  Catalog catalog = catalogOf({
      TableBuilder("orders").primaryKey({{"region", "text"}, {"number", "bigint"}}),
      TableBuilder("order_lines")
          .id()
          .column("order_region", "text", true)
          .column("order_number", "bigint", true)
          .foreignKey("order_lines_order_fkey", {"order_region", "order_number"}, "orders",
                      {"region", "number"}),
  });
  const Plan plan = buildPlan(specFor(), catalog);
  EXPECT_EQ(decisionFor(plan, "order_lines")->source,
            "parent orders via (order_region, order_number)");
  const Step* backfill = plan.findStep("backfill/order_lines");
  ASSERT_NE(backfill, nullptr);
  const std::string& sql = backfill->backfill->firstBatchSql;
  EXPECT_NE(sql.find("p.\"region\" = t.\"order_region\" AND p.\"number\" = t.\"order_number\""),
            std::string::npos)
      << sql;
  // The composite primary key of orders: keyset cursor by row comparison, casts per column.
  const Step* ordersBackfill = plan.findStep("backfill/orders");
  ASSERT_NE(ordersBackfill, nullptr);
  EXPECT_EQ(ordersBackfill->backfill->keyColumns, (std::vector<std::string>{"region", "number"}));
  EXPECT_NE(ordersBackfill->backfill->nextBatchEndSql.find(
                "(s.\"region\", s.\"number\") > ($2::text, $3::bigint)"),
            std::string::npos)
      << ordersBackfill->backfill->nextBatchEndSql;
  EXPECT_NE(ordersBackfill->backfill->nextBatchSql.find(
                "(t.\"region\", t.\"number\") > ($2::text, $3::bigint) AND "
                "(t.\"region\", t.\"number\") <= ($4::text, $5::bigint)"),
            std::string::npos)
      << ordersBackfill->backfill->nextBatchSql;
  // The trigger follows both columns.
  const Step* trigger = plan.findStep("schema/trigger/order_lines");
  ASSERT_NE(trigger, nullptr);
  EXPECT_NE(testing::allSql(*trigger).find("UPDATE OF \"order_region\", \"order_number\""),
            std::string::npos);
}

TEST(TenantSource, PrefersAParentWithAnExplicitSourceThenTheShortestPath) {
  Catalog catalog = catalogOf({
      TableBuilder("a_users").id(),
      TableBuilder("b_orgs").id(),
      TableBuilder("c_projects")
          .id()
          .column("org_id", "bigint", true)
          .foreignKey("c_projects_org_fkey", {"org_id"}, "b_orgs"),
      TableBuilder("d_tasks")
          .id()
          .column("owner_id", "bigint", true)
          .column("project_id", "bigint", true)
          .foreignKey("d_tasks_a_owner_fkey", {"owner_id"}, "a_users")
          .foreignKey("d_tasks_b_project_fkey", {"project_id"}, "c_projects"),
      TableBuilder("e_notes")
          .id()
          .column("task_id", "bigint", true)
          .column("project_id", "bigint", true)
          .foreignKey("e_notes_a_task_fkey", {"task_id"}, "d_tasks")
          .foreignKey("e_notes_b_project_fkey", {"project_id"}, "c_projects"),
  });
  // Without explicit sources: d_tasks takes the shortest path (a_users, one hop) over c_projects
  // (two hops); e_notes: both parents are one hop from a root, the foreign key's name decides.
  Plan plan = buildPlan(specFor(), catalog);
  EXPECT_EQ(decisionFor(plan, "d_tasks")->source, "parent a_users via (owner_id)");
  EXPECT_EQ(decisionFor(plan, "e_notes")->source, "parent d_tasks via (task_id)");

  // With c_projects explicit, d_tasks prefers it over the shorter path.
  auto spec = specFor(std::vector<api::TableSpec>{listed("a_users"), listed("b_orgs"),
                                                  fromParent("c_projects", "b_orgs", {"org_id"}),
                                                  listed("d_tasks"), listed("e_notes")});
  plan = buildPlan(spec, catalog);
  EXPECT_EQ(decisionFor(plan, "d_tasks")->source, "parent c_projects via (project_id)");
}

TEST(TenantSource, DerivedCyclesFallBackToTheDefaultTenant) {
  Catalog catalog = catalogOf({
      TableBuilder("alpha")
          .id()
          .column("beta_id", "bigint", true)
          .foreignKey("alpha_beta_fkey", {"beta_id"}, "beta"),
      TableBuilder("beta")
          .id()
          .column("alpha_id", "bigint", true)
          .foreignKey("beta_alpha_fkey", {"alpha_id"}, "alpha"),
  });
  const Plan plan = buildPlan(specFor(), catalog);
  EXPECT_EQ(decisionFor(plan, "alpha")->source, "default tenant");
  EXPECT_NE(decisionFor(plan, "alpha")->reason.find("cycle"), std::string::npos);
  EXPECT_EQ(decisionFor(plan, "beta")->source, "parent alpha via (alpha_id)");
}

TEST(TenantSource, SelfReferencesAreIgnored) {
  Catalog catalog = catalogOf({TableBuilder("nodes")
                                   .id()
                                   .column("parent_id", "bigint", true)
                                   .foreignKey("nodes_parent_fkey", {"parent_id"}, "nodes")});
  const Plan plan = buildPlan(specFor(), catalog);
  EXPECT_EQ(decisionFor(plan, "nodes")->source, "default tenant");
}

TEST(TenantSource, ExplicitSourcesWinOverTheGraph) {
  Catalog catalog = tradingCatalog();
  auto spec = specFor(std::vector<api::TableSpec>{listed("users"), listed("trading_accounts"),
                                                  testing::fromColumn("trades", "account_id"),
                                                  listed("trade_fills")});
  spec.tenant.idType = api::TenantIdType::Bigint;
  const Plan plan = buildPlan(spec, catalog);
  EXPECT_EQ(decisionFor(plan, "trades")->source, "column account_id");
  EXPECT_EQ(decisionFor(plan, "trades")->reason, "listed in spec.tables with `from`");
  EXPECT_EQ(decisionFor(plan, "trade_fills")->source, "parent trades via (trade_id)");
}

TEST(TenantSource, ExplicitParentWithoutForeignKeyMatchesThePrimaryKeyType) {
  Catalog catalog = catalogOf({
      TableBuilder("events").id().column("user_ref", "bigint", false),
      TableBuilder("users").id(),
  });
  auto spec = specFor(
      std::vector<api::TableSpec>{listed("users"), fromParent("events", "users", {"user_ref"})});
  const Plan plan = buildPlan(spec, catalog);
  EXPECT_EQ(decisionFor(plan, "events")->source, "parent users via (user_ref)");
  EXPECT_NE(
      plan.findStep("backfill/events")->backfill->firstBatchSql.find("p.\"id\" = t.\"user_ref\""),
      std::string::npos);
}

TEST(TenantSource, ExistingTenantColumnKeepsItsValuesAndFillsItsNulls) {
  Catalog catalog = tradingCatalog();
  for (auto& table : catalog.tables) {
    if (table.name == "trades") {
      table.columns.push_back(Column{"tenant_id", "uuid", false, std::nullopt, false});
    }
  }
  const Plan plan = buildPlan(specFor(), catalog);
  const auto* trades = decisionFor(plan, "trades");
  ASSERT_NE(trades, nullptr);
  EXPECT_TRUE(trades->existingColumn);
  EXPECT_FALSE(decisionFor(plan, "users")->existingColumn);
  EXPECT_EQ(trades->source, "parent trading_accounts via (account_id)");
  EXPECT_EQ(plan.findStep("schema/add-column/trades"), nullptr);
  EXPECT_NE(plan.findStep("schema/add-column/users"), nullptr);
  // Its NULLs are backfilled, existing values are not touched.
  const Step* backfill = plan.findStep("backfill/trades");
  ASSERT_NE(backfill, nullptr);
  EXPECT_NE(backfill->backfill->firstBatchSql.find("t.\"tenant_id\" IS NULL"), std::string::npos);
  // Nullable: the NOT NULL steps run for it; its values pre-existed, so no data-loss check.
  EXPECT_NE(plan.findStep("constraints/not-null/trades/set"), nullptr);
  for (const auto& check : plan.dataLossChecks) {
    EXPECT_EQ(check.what.rfind("trades:", 0), std::string::npos) << check.what;
  }
}

}  // namespace
}  // namespace tenantshift::plan
