#include <gtest/gtest.h>

#include <set>

#include "api/spec_error.h"
#include "catalog_builder.h"
#include "plan/planner.h"
#include "plan/tenant_move_guard.h"

namespace tenantshift::plan {
namespace {

using testing::allSql;
using testing::catalogOf;
using testing::hasNoteContaining;
using testing::positionOf;
using testing::specFor;
using testing::TableBuilder;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Catalog shopCatalog() {
  return catalogOf({
      TableBuilder("orders")
          .id()
          .column("user_id", "bigint", true)
          .column("code", "text", true)
          .foreignKey("orders_user_id_fkey", {"user_id"}, "users")
          .unique("orders_code_key", {"code"}),
      TableBuilder("users")
          .id()
          .column("email", "text", true)
          .unique("users_email_key", {"email"})
          .unique("users_lower_name_idx", {"name"}, false),
  });
}

TEST(PlannerSteps, PhasesAreInOrderAndIdsUnique) {
  auto spec = specFor();
  spec.featureFlag.sql =
      api::SqlFeatureFlag{"UPDATE flags SET on = true", "UPDATE flags SET on = false"};
  const Plan plan = buildPlan(spec, shopCatalog());
  std::set<std::string> ids;
  int lastPhase = 0;
  for (const auto& step : plan.steps) {
    EXPECT_TRUE(ids.insert(step.id).second) << "duplicate id " << step.id;
    EXPECT_GE(static_cast<int>(step.phase), lastPhase) << step.id;
    lastPhase = static_cast<int>(step.phase);
    EXPECT_FALSE(step.summary.empty()) << step.id;
    if (step.risk != DataLossRisk::None || step.downRisk != DataLossRisk::None) {
      EXPECT_FALSE(step.riskReason.empty()) << step.id;
    }
  }
  for (Phase phase : kPhases) {
    EXPECT_FALSE(plan.stepsOf(phase).empty()) << toString(phase);
  }
  EXPECT_LT(positionOf(plan, "schema/tenants-table"), positionOf(plan, "schema/default-tenant"));
  EXPECT_LT(positionOf(plan, "schema/default-tenant"), positionOf(plan, "schema/add-column/users"));
  EXPECT_LT(positionOf(plan, "schema/add-column/users"), positionOf(plan, "schema/fk/users"));
  EXPECT_LT(positionOf(plan, "flag/on"), positionOf(plan, "flag/enforce"));
  // The spec's flag SQL names the application's tables as it does: the schema after pg_catalog
  // (the engine's connections have only pg_catalog on the search_path), for that transaction.
  const Step* flag = plan.findStep("flag/on");
  for (const auto* statements : {&flag->up, &flag->down}) {
    ASSERT_EQ(statements->size(), 2U);
    EXPECT_EQ((*statements)[0].sql, "SELECT pg_catalog.set_config('search_path', $1, true)");
    EXPECT_EQ((*statements)[0].params, std::vector<std::string>{"pg_catalog, \"public\""});
  }
  EXPECT_EQ(flag->up[1].sql, "UPDATE flags SET on = true");
  EXPECT_EQ(flag->down[1].sql, "UPDATE flags SET on = false");
  const Step* verify = plan.findStep("verify/isolation");
  ASSERT_NE(verify, nullptr);
  EXPECT_EQ(verify->execution, Execution::Verify);
  EXPECT_TRUE(verify->up.empty());
}

TEST(PlannerSteps, SchemaStepsAreNullableFkNotValidAndGuarded) {
  const Plan plan = buildPlan(specFor(), shopCatalog());
  const Step* tenants = plan.findStep("schema/tenants-table");
  ASSERT_NE(tenants, nullptr);
  EXPECT_TRUE(contains(tenants->up[0].sql, "CREATE TABLE IF NOT EXISTS \"public\".\"tenants\""));
  EXPECT_TRUE(contains(tenants->up[0].sql, "\"id\" uuid PRIMARY KEY"));
  ASSERT_EQ(tenants->up.size(), 2U);
  EXPECT_TRUE(contains(tenants->up[1].sql, "GRANT SELECT ON \"public\".\"tenants\" TO"));
  EXPECT_EQ(tenants->downRisk, DataLossRisk::High);

  const Step* defaultTenant = plan.findStep("schema/default-tenant");
  ASSERT_NE(defaultTenant, nullptr);
  EXPECT_EQ(defaultTenant->up[0].params,
            (std::vector<std::string>{"00000000-0000-0000-0000-000000000001", "default",
                                      "Default Tenant"}));
  EXPECT_TRUE(contains(defaultTenant->up[0].sql,
                       "SELECT $1::uuid, $2, $3 WHERE NOT EXISTS (SELECT FROM "
                       "\"public\".\"tenants\" WHERE \"id\" = $1::uuid)"))
      << defaultTenant->up[0].sql;

  const Step* add = plan.findStep("schema/add-column/orders");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->up[0].sql,
            "ALTER TABLE \"public\".\"orders\" ADD COLUMN IF NOT EXISTS \"tenant_id\" uuid");
  EXPECT_EQ(add->lock, LockLevel::AccessExclusive);
  EXPECT_EQ(add->downRisk, DataLossRisk::High);

  const Step* fk = plan.findStep("schema/fk/orders");
  ASSERT_NE(fk, nullptr);
  // The referenced table is locked first, as the application writes a parent before its child.
  EXPECT_EQ(fk->up[0].sql,
            "LOCK TABLE \"public\".\"tenants\", \"public\".\"orders\" IN SHARE ROW EXCLUSIVE "
            "MODE");
  EXPECT_TRUE(contains(fk->up[1].sql, "NOT VALID"));
  EXPECT_TRUE(contains(fk->up[1].sql, "REFERENCES \"public\".\"tenants\" (\"id\")"));
  ASSERT_TRUE(fk->appliedCheck.has_value());
  EXPECT_EQ(fk->appliedCheck->params,
            (std::vector<std::string>{"\"public\".\"orders\"", "orders_tenant_fk"}));
  EXPECT_EQ(fk->lock, LockLevel::ShareRowExclusive);

  const Step* role = plan.findStep("schema/bypass-role");
  ASSERT_NE(role, nullptr);
  EXPECT_TRUE(contains(role->up[0].sql, "CREATE ROLE \"tenantshift_bypass\" NOLOGIN BYPASSRLS"));
}

TEST(PlannerSteps, DefaultSourcedTablesGetAColumnDefaultAndDerivedOnesATrigger) {
  const Plan plan = buildPlan(specFor(), shopCatalog());
  const Step* def = plan.findStep("schema/default/users");
  ASSERT_NE(def, nullptr);
  EXPECT_TRUE(contains(def->up[0].sql,
                       "SET DEFAULT COALESCE(NULLIF(current_setting('app.current_tenant_id', "
                       "true), '')::uuid, '00000000-0000-0000-0000-000000000001'::uuid)"));
  EXPECT_TRUE(contains(def->down[0].sql, "DROP DEFAULT"));

  const Step* trigger = plan.findStep("schema/trigger/orders");
  ASSERT_NE(trigger, nullptr);
  const std::string sql = allSql(*trigger);
  EXPECT_TRUE(contains(sql, "SET search_path = pg_catalog, pg_temp"));
  EXPECT_TRUE(contains(sql, "FROM \"public\".\"users\" p WHERE p.\"id\" = NEW.\"user_id\""));
  EXPECT_TRUE(contains(sql, "BEFORE INSERT OR UPDATE OF \"user_id\" ON \"public\".\"orders\""));
  EXPECT_TRUE(contains(sql, "DROP FUNCTION IF EXISTS \"public\".\"tenantshift_orders_tenant\"()"));
  EXPECT_EQ(plan.findStep("schema/default/orders"), nullptr);
}

TEST(PlannerSteps, BackfillFollowsTheBackfillTaskContract) {
  const Plan plan = buildPlan(specFor(), shopCatalog());
  const Step* step = plan.findStep("backfill/orders");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->execution, Execution::Backfill);
  EXPECT_EQ(step->lock, LockLevel::RowExclusive);
  ASSERT_TRUE(step->backfill.has_value());
  const BackfillTask& task = *step->backfill;
  EXPECT_EQ(task.keyColumns, (std::vector<std::string>{"id"}));
  // The batch's end: $1 = size, then the cursor, then the pass's upper bound.
  EXPECT_TRUE(contains(task.firstBatchEndSql, "LIMIT $1::bigint"));
  EXPECT_TRUE(contains(task.firstBatchEndSql, "s.\"id\" <= $2::bigint"));
  EXPECT_FALSE(contains(task.firstBatchEndSql, "$3"));
  EXPECT_TRUE(contains(task.nextBatchEndSql, "s.\"id\" > $2::bigint AND s.\"id\" <= $3::bigint"));
  EXPECT_TRUE(contains(task.nextBatchEndSql, "l.\"id\"::text"));
  // The update of that range: $1 = the default tenant, then the cursor, then the batch's end.
  EXPECT_TRUE(contains(task.firstBatchSql, "$1::uuid"));
  EXPECT_TRUE(contains(task.firstBatchSql, "t.\"id\" <= $2::bigint"));
  EXPECT_FALSE(contains(task.firstBatchSql, "$3"));
  EXPECT_TRUE(contains(task.nextBatchSql, "t.\"id\" > $2::bigint AND t.\"id\" <= $3::bigint"));
  EXPECT_TRUE(contains(task.nextBatchSql, "t.\"tenant_id\" IS NULL"));
  EXPECT_TRUE(contains(task.upperBoundSql, "ORDER BY s.\"id\" DESC LIMIT 1"));
  EXPECT_TRUE(contains(task.sweepSql, "ctid = ANY"));
  EXPECT_TRUE(contains(task.sweepSql, "$2::uuid"));
  EXPECT_TRUE(contains(task.sweepSql, "$1::bigint"));
  EXPECT_TRUE(step->down.empty());
}

// A NOT NULL column with a validated foreign key guarantees a parent row: the batch joins the
// parent (one hash join per batch). Without that guarantee it looks the parent up per row, so
// that a row without one still gets the default tenant.
TEST(PlannerSteps, BackfillHoldsTheParentsTenantMoveLockInsteadOfLockingParentRows) {
  for (const bool tenantForeignKeys : {true, false}) {
    auto spec = specFor();
    spec.tenantForeignKeys = tenantForeignKeys;
    const Plan plan = buildPlan(spec, shopCatalog());
    const auto& task = *plan.findStep("backfill/orders")->backfill;
    // No row lock per parent row read: the batch takes the users table's tenant-move lock.
    for (const std::string* sql : {&task.firstBatchSql, &task.nextBatchSql, &task.sweepSql}) {
      EXPECT_FALSE(contains(*sql, " FOR ")) << *sql;
    }
    ASSERT_TRUE(task.parentMoveLock.has_value());
    // The users table's guard takes the same key, shared, when an UPDATE changes a tenant.
    const Step* guard = plan.findStep("schema/tenant-move-guard/users");
    ASSERT_NE(guard, nullptr);
    const std::string up = allSql(*guard);
    EXPECT_TRUE(contains(up, "pg_catalog.pg_advisory_xact_lock_shared(" +
                                 std::to_string(kTenantMoveLockClass) + ", " +
                                 std::to_string(*task.parentMoveLock) + ")"))
        << up;
    EXPECT_TRUE(contains(up,
                         "CREATE OR REPLACE TRIGGER \"tenantshift_tenant_move\" BEFORE "
                         "UPDATE ON \"public\".\"users\" FOR EACH ROW WHEN (OLD.\"tenant_id\" "
                         "IS DISTINCT FROM NEW.\"tenant_id\")"))
        << up;
    EXPECT_TRUE(contains(up, "SECURITY DEFINER SET search_path = pg_catalog, pg_temp")) << up;
    EXPECT_TRUE(contains(up, "REVOKE ALL ON FUNCTION")) << up;
    EXPECT_TRUE(contains(up, "DROP TRIGGER IF EXISTS \"tenantshift_tenant_move\"")) << up;
    // After the tenant columns exist, before the backfill.
    EXPECT_LT(positionOf(plan, "schema/add-column/users"),
              positionOf(plan, "schema/tenant-move-guard/users"));
    // users takes its tenant from no parent: its batches take no lock, and nothing derives
    // from orders: no guard on it.
    EXPECT_FALSE(plan.findStep("backfill/users")->backfill->parentMoveLock.has_value());
    EXPECT_EQ(plan.findStep("schema/tenant-move-guard/orders"), nullptr);
  }
}

TEST(PlannerSteps, EachParentHasOneTenantMoveGuardWithItsOwnKey) {
  const Catalog catalog = catalogOf({
      TableBuilder("users").id().column("email", "text", true),
      TableBuilder("orders")
          .id()
          .column("user_id", "bigint", true)
          .foreignKey("orders_user_id_fkey", {"user_id"}, "users"),
      TableBuilder("notes")
          .id()
          .column("user_id", "bigint", true)
          .foreignKey("notes_user_id_fkey", {"user_id"}, "users"),
      TableBuilder("items")
          .id()
          .column("order_id", "bigint", true)
          .foreignKey("items_order_id_fkey", {"order_id"}, "orders"),
  });
  const Plan plan =
      buildPlan(specFor(std::vector<api::TableSpec>{
                    testing::listed("users"), testing::fromParent("orders", "users", {"user_id"}),
                    testing::fromParent("notes", "users", {"user_id"}),
                    testing::fromParent("items", "orders", {"order_id"})}),
                catalog);
  int guards = 0;
  for (const Step& step : plan.steps) {
    guards += contains(step.id, "schema/tenant-move-guard/") ? 1 : 0;
  }
  EXPECT_EQ(guards, 2);  // users and orders
  const auto key = [&](const char* table) {
    return plan.findStep(std::string("backfill/") + table)->backfill->parentMoveLock.value();
  };
  EXPECT_EQ(key("orders"), key("notes"));
  EXPECT_NE(key("orders"), key("items"));
}

TEST(PlannerSteps, ForeignKeysThatAreNoDerivationBecomeTenantConsistentAfterTheFlag) {
  // orders derives its tenant from user_id (NOT NULL); buyer_id is another key to users.
  const Catalog catalog = catalogOf({
      TableBuilder("orders")
          .id()
          .column("user_id", "bigint", true)
          .column("buyer_id", "bigint", false)
          .foreignKey("orders_user_id_fkey", {"user_id"}, "users")
          .foreignKey("orders_buyer_id_fkey", {"buyer_id"}, "users"),
      TableBuilder("users").id().column("email", "text", true).unique("users_email_key", {"email"}),
  });
  const Plan plan = buildPlan(specFor(), catalog);
  // The derivation key: early, validated and swapped in the constraints phase.
  EXPECT_NE(plan.findStep("schema/tenant-fk/orders/orders_user_id_fkey"), nullptr);
  EXPECT_NE(plan.findStep("constraints/tenant-fk/orders/orders_user_id_fkey/replace"), nullptr);
  // The other one: untouched until the flag, then added, validated and swapped after
  // enforcement and before the unique keys' finalize steps.
  for (const Step& step : plan.steps) {
    if (contains(step.id, "orders_buyer_id_fkey")) {
      EXPECT_EQ(step.phase, Phase::Flag) << step.id;
    }
  }
  const std::string prefix = "flag/finalize/tenant-fk/orders/orders_buyer_id_fkey";
  const Step* validate = plan.findStep(prefix + "/validate");
  ASSERT_NE(validate, nullptr);
  EXPECT_TRUE(contains(validate->failureHint, "crossTenantRefs")) << validate->failureHint;
  EXPECT_LT(positionOf(plan, "flag/enforce"), positionOf(plan, prefix + "/add"));
  EXPECT_LT(positionOf(plan, prefix + "/add"), positionOf(plan, prefix + "/validate"));
  EXPECT_LT(positionOf(plan, prefix + "/validate"), positionOf(plan, prefix + "/replace"));
  EXPECT_LT(positionOf(plan, prefix + "/replace"),
            positionOf(plan, "flag/finalize/users/users_email_key"));
  bool noted = false;
  for (const auto& note : plan.notes) {
    noted = noted || (contains(note, "orders_buyer_id_fkey") && contains(note, "flag phase"));
  }
  EXPECT_TRUE(noted) << "the plan does not say what happens to orders_buyer_id_fkey";
}

TEST(PlannerSteps, BackfillJoinsTheParentOnlyWhenEveryRowHasOne) {
  Plan plan = buildPlan(specFor(), shopCatalog());
  const std::string joined = plan.findStep("backfill/orders")->backfill->nextBatchSql;
  // The join reads only the batch's parents, in a subquery kept apart (hashed, not looked up
  // per row).
  EXPECT_TRUE(contains(joined,
                       "SET \"tenant_id\" = COALESCE(p.\"tenant_id\", $1::uuid), \"user_id\" = "
                       "t.\"user_id\" FROM (SELECT "
                       "p.\"id\", p.\"tenant_id\" FROM \"public\".\"users\" p WHERE (p.\"id\") IN "
                       "(SELECT s.\"user_id\" FROM \"public\".\"orders\" s WHERE"))
      << joined;
  EXPECT_TRUE(contains(joined, "IS NULL) OFFSET 0) p WHERE")) << joined;
  EXPECT_TRUE(contains(joined, "AND p.\"id\" = t.\"user_id\""));
  EXPECT_TRUE(contains(plan.findStep("backfill/orders")->backfill->sweepSql, "(SELECT p."));

  for (const bool nullable : {true, false}) {
    Catalog catalog = shopCatalog();
    for (auto& table : catalog.tables) {
      if (table.name != "orders") {
        continue;
      }
      if (nullable) {
        table.columns[1].notNull = false;  // user_id
      } else {
        table.foreignKeys[0].validated = false;
      }
    }
    plan = buildPlan(
        specFor(std::vector<api::TableSpec>{testing::listed("users"),
                                            testing::fromParent("orders", "users", {"user_id"})}),
        catalog);
    const std::string looked = plan.findStep("backfill/orders")->backfill->nextBatchSql;
    EXPECT_TRUE(contains(looked,
                         "COALESCE((SELECT p.\"tenant_id\" FROM \"public\".\"users\" p "
                         "WHERE p.\"id\" = t.\"user_id\"), $1::uuid)"))
        << (nullable ? "nullable: " : "not validated: ") << looked;
  }
}

// A batch sets the tenant source's columns to themselves, so that PostgreSQL does not run
// bottom-up index deletion on their indexes (BackfillTask::touchedColumns); the runner keeps a
// form without that for tables where a trigger watches those columns.
TEST(PlannerSteps, BatchesSetTheTenantSourceToItselfAndKeepAFormWithout) {
  const Plan plan = buildPlan(specFor(), shopCatalog());
  const BackfillTask& orders = *plan.findStep("backfill/orders")->backfill;
  EXPECT_EQ(orders.touchedColumns, std::vector<std::string>{"user_id"});
  const std::string touch = ", \"user_id\" = t.\"user_id\"";
  auto withoutTouch = [&](std::string sql) {
    const auto at = sql.find(touch);
    EXPECT_NE(at, std::string::npos) << sql;
    if (at != std::string::npos) {
      sql.erase(at, touch.size());
    }
    return sql;
  };
  EXPECT_TRUE(contains(orders.sweepSql, "$2::uuid)" + touch + " WHERE")) << orders.sweepSql;
  // The forms without: the same statements, less the assignments.
  EXPECT_EQ(withoutTouch(orders.firstBatchSql), orders.firstBatchSqlUntouched);
  EXPECT_EQ(withoutTouch(orders.nextBatchSql), orders.nextBatchSqlUntouched);
  EXPECT_EQ(withoutTouch(orders.sweepSql), orders.sweepSqlUntouched);

  // A table that takes the default tenant has no source column, and no second form.
  const BackfillTask& users = *plan.findStep("backfill/users")->backfill;
  EXPECT_TRUE(users.touchedColumns.empty());
  EXPECT_TRUE(users.nextBatchSqlUntouched.empty());
  EXPECT_TRUE(users.sweepSqlUntouched.empty());

  // Columns that cannot, or should not, be set to themselves are not touched.
  for (const std::string kind : {"identity", "generated", "partition key"}) {
    Catalog catalog = shopCatalog();
    for (auto& table : catalog.tables) {
      if (table.name != "orders") {
        continue;
      }
      if (kind == "identity") {
        table.columns[1].identity = true;  // user_id
      } else if (kind == "generated") {
        table.columns[1].generated = true;
      } else {
        table.partitionKey = {"user_id"};
      }
    }
    const Plan other = buildPlan(specFor(), catalog);
    const BackfillTask& task = *other.findStep("backfill/orders")->backfill;
    EXPECT_TRUE(task.touchedColumns.empty()) << kind;
    EXPECT_FALSE(contains(task.nextBatchSql, touch)) << kind << ": " << task.nextBatchSql;
    EXPECT_FALSE(contains(task.sweepSql, touch)) << kind << ": " << task.sweepSql;
  }
}

TEST(PlannerSteps, TablesWithoutPrimaryKeyOnlySweep) {
  Catalog catalog = catalogOf({TableBuilder("audit_log").column("message", "text")});
  const Plan plan = buildPlan(specFor(), catalog);
  const Step* step = plan.findStep("backfill/audit_log");
  ASSERT_NE(step, nullptr);
  EXPECT_TRUE(step->backfill->keyColumns.empty());
  EXPECT_TRUE(step->backfill->firstBatchSql.empty());
  EXPECT_FALSE(step->backfill->sweepSql.empty());
  EXPECT_TRUE(hasNoteContaining(plan, "'audit_log' has no primary key"));
  const Step* index = plan.findStep("constraints/index/audit_log");
  ASSERT_NE(index, nullptr);
  EXPECT_TRUE(contains(index->up[1].sql, "(\"tenant_id\")"));
}

TEST(PlannerSteps, ConstraintsValidateThenNotNullThroughACheckThenIndexConcurrently) {
  const Plan plan = buildPlan(specFor(), shopCatalog());
  const auto addCheck = positionOf(plan, "constraints/not-null/orders/add-check");
  const auto validate = positionOf(plan, "constraints/not-null/orders/validate-check");
  const auto set = positionOf(plan, "constraints/not-null/orders/set");
  ASSERT_GE(addCheck, 0);
  EXPECT_LT(positionOf(plan, "constraints/validate-fk/orders"), addCheck);
  EXPECT_LT(addCheck, validate);
  EXPECT_LT(validate, set);
  EXPECT_EQ(plan.steps[validate].lock, LockLevel::ShareUpdateExclusive);
  EXPECT_TRUE(
      contains(plan.steps[addCheck].up[0].sql, "CHECK (\"tenant_id\" IS NOT NULL) NOT VALID"));
  EXPECT_TRUE(contains(plan.steps[set].up[0].sql, "SET NOT NULL"));
  ASSERT_EQ(plan.steps[set].up.size(), 2u);
  EXPECT_TRUE(
      contains(plan.steps[set].up[1].sql, "DROP CONSTRAINT IF EXISTS \"orders_tenant_not_null\""));

  const Step* index = plan.findStep("constraints/index/orders");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->execution, Execution::Concurrent);
  EXPECT_EQ(index->downExecution, Execution::Concurrent);
  ASSERT_EQ(index->up.size(), 2u);
  EXPECT_EQ(index->up[0].sql, "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"orders_tenant_idx\"");
  EXPECT_EQ(index->up[1].sql,
            "CREATE INDEX CONCURRENTLY \"orders_tenant_idx\" ON \"public\".\"orders\" USING "
            "\"btree\" (\"tenant_id\", \"id\")");
  ASSERT_TRUE(index->appliedCheck.has_value());
  EXPECT_TRUE(contains(index->appliedCheck->sql, "indisvalid"));
}

TEST(PlannerSteps, UniqueKeysAreRewrittenToLeadWithTheTenantColumn) {
  const Plan plan = buildPlan(specFor(), shopCatalog());
  // Built in the constraints phase; the global key stays until the flag, then is replaced.
  const Step* build = plan.findStep("constraints/unique/orders/orders_code_key");
  const Step* swap = plan.findStep("flag/finalize/orders/orders_code_key");
  ASSERT_NE(build, nullptr);
  ASSERT_NE(swap, nullptr);
  EXPECT_LT(positionOf(plan, "flag/enforce"), positionOf(plan, swap->id));
  EXPECT_EQ(build->execution, Execution::Concurrent);
  EXPECT_TRUE(
      contains(build->up[1].sql, "CREATE UNIQUE INDEX CONCURRENTLY \"orders_code_key_tenant\""));
  EXPECT_TRUE(contains(build->up[1].sql, "USING \"btree\" (\"tenant_id\", \"code\")"));
  EXPECT_TRUE(contains(swap->up[0].sql,
                       "DROP CONSTRAINT \"orders_code_key\", ADD CONSTRAINT "
                       "\"orders_code_key\" UNIQUE USING INDEX "
                       "\"orders_code_key_tenant\""));
  ASSERT_TRUE(swap->appliedCheck.has_value());
  EXPECT_EQ(swap->downRisk, DataLossRisk::Medium);
  EXPECT_EQ(swap->downExecution, Execution::Concurrent);
  EXPECT_TRUE(contains(allSql(*swap),
                       "\"orders_code_key_global\" ON \"public\".\"orders\" "
                       "USING \"btree\" (\"code\")"));
  ASSERT_EQ(plan.indexReplacements.size(), 3u);  // users_email_key, users_lower_name_idx, orders
  EXPECT_EQ(plan.indexReplacements[2].index, "orders_code_key");
  EXPECT_EQ(plan.indexReplacements[2].replacement, "orders_code_key_tenant");
  EXPECT_TRUE(plan.indexReplacements[2].constraint);
  EXPECT_FALSE(plan.indexReplacements[1].constraint);
  EXPECT_TRUE(hasNoteContaining(plan, "ON CONFLICT (code) keeps working"));

  // A bare unique index: dropped and the new one renamed.
  const Step* bareSwap = plan.findStep("flag/finalize/users/users_lower_name_idx");
  ASSERT_NE(bareSwap, nullptr);
  EXPECT_EQ(bareSwap->up[0].sql, "DROP INDEX \"public\".\"users_lower_name_idx\"");
  EXPECT_TRUE(contains(bareSwap->up[1].sql, "RENAME TO \"users_lower_name_idx\""));

  // The primary keys stay global, with a note.
  EXPECT_EQ(plan.findStep("constraints/unique/orders/orders_pkey"), nullptr);
  EXPECT_TRUE(hasNoteContaining(plan, "primary key 'orders_pkey'"));
}

TEST(PlannerSteps, KeptUniqueKeysAreNotedWithWhy) {
  Catalog catalog = shopCatalog();
  for (auto& table : catalog.tables) {
    if (table.name == "users") {
      table.uniqueKeys[1].referencedBy = {"profiles_email_fkey"};  // users_email_key
      UniqueKey expression;
      expression.name = "users_lower_email_idx";
      expression.indexName = expression.name;
      expression.columns = {""};
      expression.keyDefinitions = {"lower(email)"};
      expression.hasExpressions = true;
      table.uniqueKeys.push_back(expression);
    }
  }
  std::vector<api::TableSpec> tables{testing::listed("orders"), testing::listed("users")};
  tables[0].keepUnique = {"orders_code_key"};
  Plan plan = buildPlan(specFor(tables), catalog);
  EXPECT_EQ(plan.findStep("constraints/unique/orders/orders_code_key"), nullptr);
  EXPECT_TRUE(
      hasNoteContaining(plan, "'orders_code_key' of 'orders' stays global: listed in keepUnique"));
  EXPECT_EQ(plan.findStep("constraints/unique/users/users_email_key"), nullptr);
  EXPECT_TRUE(hasNoteContaining(plan, "profiles_email_fkey"));
  // Expression keys are rebuilt with PostgreSQL's deparsed expression.
  const Step* expression = plan.findStep("constraints/unique/users/users_lower_email_idx");
  ASSERT_NE(expression, nullptr);
  EXPECT_TRUE(contains(expression->up[1].sql, "(\"tenant_id\", lower(email))"));
  EXPECT_NE(plan.findStep("constraints/unique/users/users_lower_name_idx"), nullptr);

  auto spec = specFor();
  spec.rewriteUniques = false;
  plan = buildPlan(spec, catalog);
  for (const auto& step : plan.steps) {
    EXPECT_EQ(step.id.rfind("constraints/unique/", 0), std::string::npos) << step.id;
  }
}

TEST(PlannerSteps, RlsPoliciesAreTransitionalUntilEnforce) {
  auto spec = specFor();
  const Plan plan = buildPlan(spec, shopCatalog());
  const Step* enable = plan.findStep("rls/enable/orders");
  ASSERT_NE(enable, nullptr);
  EXPECT_TRUE(contains(allSql(*enable), "ENABLE ROW LEVEL SECURITY"));
  EXPECT_TRUE(contains(allSql(*enable), "FORCE ROW LEVEL SECURITY"));
  const Step* policies = plan.findStep("rls/policies/orders");
  ASSERT_NE(policies, nullptr);
  const std::string session =
      "(SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)";
  const std::string sql = allSql(*policies);
  for (const char* name :
       {"tenantshift_select", "tenantshift_insert", "tenantshift_update", "tenantshift_delete"}) {
    EXPECT_TRUE(contains(sql, "DROP POLICY IF EXISTS \"" + std::string(name) + "\""));
    EXPECT_TRUE(contains(sql, "CREATE POLICY \"" + std::string(name) + "\""));
  }
  EXPECT_TRUE(contains(sql, "(" + session + " IS NULL OR \"tenant_id\" = " + session + ")"));
  EXPECT_TRUE(contains(sql, "FOR INSERT TO PUBLIC WITH CHECK"));
  EXPECT_TRUE(contains(sql, "FOR UPDATE TO PUBLIC USING ("));

  const Step* enforce = plan.findStep("flag/enforce");
  ASSERT_NE(enforce, nullptr);
  EXPECT_EQ(plan.findStep("flag/on"), nullptr);  // no feature flag SQL in the spec
  const std::string strict = "(\"tenant_id\" = " + session + ")";
  for (const auto& statement : enforce->up) {
    if (contains(statement.sql, "\"tenants\"")) {
      // The tenants table: each tenant sees only its own row.
      EXPECT_TRUE(contains(statement.sql, "(\"id\" = " + session + ")")) << statement.sql;
    } else {
      EXPECT_TRUE(contains(statement.sql, strict)) << statement.sql;
    }
    EXPECT_FALSE(contains(statement.sql, "IS NULL OR")) << statement.sql;
  }
  EXPECT_NE(plan.findStep("rls/policies/tenants"), nullptr);
  EXPECT_NE(plan.findStep("rls/enable/tenants"), nullptr);
  EXPECT_EQ(enforce->up.size(), 12u);  // 4 policies x (2 tables + the tenants table)
  for (const auto& statement : enforce->down) {
    EXPECT_TRUE(contains(statement.sql, "IS NULL OR")) << statement.sql;
  }
}

TEST(PlannerSteps, BigintAndTextTenantIds) {
  auto spec = specFor();
  spec.tenant.idType = api::TenantIdType::Bigint;
  spec.tenant.defaultTenant.id = "1";
  Plan plan = buildPlan(spec, shopCatalog());
  EXPECT_TRUE(
      contains(plan.findStep("schema/add-column/users")->up[0].sql, "\"tenant_id\" bigint"));
  EXPECT_TRUE(contains(plan.findStep("schema/default/users")->up[0].sql, "'1'::bigint"));
  EXPECT_TRUE(contains(plan.findStep("backfill/users")->backfill->firstBatchSql, "$1::bigint"));
  EXPECT_TRUE(contains(allSql(*plan.findStep("rls/policies/users")), "'')::bigint)"));

  spec.tenant.idType = api::TenantIdType::Text;
  spec.tenant.defaultTenant.id = "acme";
  plan = buildPlan(spec, shopCatalog());
  EXPECT_TRUE(
      contains(plan.findStep("schema/tenants-table")->up[0].sql, "\"id\" text PRIMARY KEY"));
  EXPECT_TRUE(contains(plan.findStep("schema/default/users")->up[0].sql, "'acme'::text"));
}

TEST(PlannerSteps, ColumnSourcedTablesCreateTheirTenantsFirst) {
  Catalog catalog = catalogOf({TableBuilder("stores_data").id().column("store_id", "uuid", true)});
  auto spec = specFor(std::vector<api::TableSpec>{testing::fromColumn("stores_data", "store_id")});
  const Plan plan = buildPlan(spec, catalog);
  const auto tenants = positionOf(plan, "backfill/tenants-from-column/stores_data");
  ASSERT_GE(tenants, 0);
  EXPECT_LT(tenants, positionOf(plan, "backfill/stores_data"));
  const std::string insert = plan.steps[tenants].up[0].sql;
  EXPECT_TRUE(contains(insert, "SELECT DISTINCT s.\"store_id\"::uuid"));
  // A tenant that exists is kept; a clash on another unique column is an error, never a skip.
  EXPECT_TRUE(contains(insert, "ON CONFLICT (\"id\") DO NOTHING"));
  // Only values without a tenants row: a CHECK is checked before ON CONFLICT finds the row.
  EXPECT_TRUE(contains(insert, "IS NOT NULL AND NOT EXISTS (SELECT FROM \"public\".\"tenants\" e"))
      << insert;
  const Step* trigger = plan.findStep("schema/trigger/stores_data");
  ASSERT_NE(trigger, nullptr);
  EXPECT_TRUE(contains(allSql(*trigger), "SECURITY DEFINER"));
  EXPECT_TRUE(contains(plan.findStep("backfill/stores_data")->backfill->firstBatchSql,
                       "COALESCE(t.\"store_id\"::uuid, $1::uuid)"));
  // Rollback would lose tenants not re-created from the column.
  ASSERT_FALSE(plan.dataLossChecks.empty());
  EXPECT_TRUE(contains(plan.dataLossChecks.back().query.sql, "NOT EXISTS"));
  EXPECT_TRUE(contains(plan.dataLossChecks.back().query.sql, "\"store_id\""));
}

TEST(PlannerSteps, DataLossChecksCompareWithTheDerivation) {
  const Plan plan = buildPlan(specFor(), shopCatalog());
  ASSERT_EQ(plan.dataLossChecks.size(), 3u);  // orders, users, tenants
  for (const auto& check : plan.dataLossChecks) {
    EXPECT_EQ(check.query.params,
              (std::vector<std::string>{"00000000-0000-0000-0000-000000000001"}));
    EXPECT_TRUE(contains(check.query.sql, "$1::uuid"));
  }
  EXPECT_TRUE(contains(plan.dataLossChecks[1].query.sql, "FROM \"public\".\"users\" p"))
      << "orders' tenant comes from users";
}

TEST(PlannerSteps, ExistingTenantsTableIsReused) {
  Catalog catalog = shopCatalog();
  catalog.tables.push_back(TableBuilder("tenants").id("uuid").column("name", "text", true));
  const Plan plan = buildPlan(specFor(), catalog);
  EXPECT_EQ(plan.findStep("schema/tenants-table"), nullptr);
  EXPECT_EQ(plan.findStep("schema/add-column/tenants"), nullptr);
  const Step* def = plan.findStep("schema/default-tenant");
  EXPECT_TRUE(contains(def->up[0].sql, "(\"id\", name) SELECT $1::uuid, $2 WHERE NOT EXISTS"));
  EXPECT_EQ(def->up[0].params.size(), 2u);
  EXPECT_TRUE(def->failureHint.empty());
  for (const auto& check : plan.dataLossChecks) {
    EXPECT_FALSE(contains(check.what, "tenants:")) << check.what;
  }
}

TEST(PlannerSteps, ExcludedTablesAreLeftAlone) {
  Catalog catalog = shopCatalog();
  catalog.tables.push_back(TableBuilder("alembic_version").column("version_num", "text", true));
  auto spec = specFor();
  spec.exclude = {"alembic_version"};
  const Plan plan = buildPlan(spec, catalog);
  for (const auto& step : plan.steps) {
    EXPECT_NE(step.table, "alembic_version") << step.id;
  }
  EXPECT_EQ(testing::decisionFor(plan, "alembic_version"), nullptr);
}

TEST(PlannerSteps, PartitionedTablesAreConvertedThroughTheirParent) {
  Table measurements =
      TableBuilder("measurements").primaryKey({{"id", "bigint"}, {"taken", "date"}});
  measurements.partitioned = true;
  Table y2023 = TableBuilder("measurements_2023").primaryKey({{"id", "bigint"}, {"taken", "date"}});
  y2023.partitionOf = "measurements";
  Table y2024 = TableBuilder("measurements_2024").primaryKey({{"id", "bigint"}, {"taken", "date"}});
  y2024.partitionOf = "measurements";
  const Plan plan = buildPlan(specFor(), catalogOf({measurements, y2023, y2024}));
  ASSERT_EQ(plan.decisions.size(), 1u);
  EXPECT_EQ(plan.decisions[0].table, "measurements");
  EXPECT_NE(plan.findStep("schema/add-column/measurements"), nullptr);
  EXPECT_EQ(plan.findStep("schema/add-column/measurements_2023"), nullptr);
  EXPECT_TRUE(hasNoteContaining(plan, "partition 'measurements_2023' is covered"));
  // NOT VALID foreign keys per partition, validated, then the partitioned table's attaches them.
  EXPECT_EQ(plan.findStep("schema/fk/measurements"), nullptr);
  ASSERT_NE(plan.findStep("schema/fk/measurements/measurements_2024"), nullptr);
  EXPECT_TRUE(contains(plan.findStep("schema/fk/measurements/measurements_2024")->up[1].sql,
                       "ADD CONSTRAINT \"measurements_tenant_fk\""));
  EXPECT_NE(plan.findStep("constraints/validate-fk/measurements/measurements_2023"), nullptr);
  const Step* parentFk = plan.findStep("constraints/validate-fk/measurements");
  ASSERT_NE(parentFk, nullptr);
  EXPECT_TRUE(contains(parentFk->up[1].sql,
                       "ALTER TABLE \"public\".\"measurements\" ADD CONSTRAINT "
                       "\"measurements_tenant_fk\" FOREIGN KEY"));
  EXPECT_LT(positionOf(plan, "constraints/validate-fk/measurements/measurements_2024"),
            positionOf(plan, "constraints/validate-fk/measurements"));
  // Index: concurrently per partition, then attached to an index on only the parent.
  const auto part = positionOf(plan, "constraints/index/measurements/measurements_2023");
  const auto parent = positionOf(plan, "constraints/index/measurements");
  ASSERT_GE(part, 0);
  EXPECT_LT(part, parent);
  EXPECT_EQ(plan.steps[part].execution, Execution::Concurrent);
  EXPECT_TRUE(contains(plan.steps[parent].up[0].sql, "ON ONLY \"public\".\"measurements\""));
  EXPECT_TRUE(contains(allSql(plan.steps[parent]),
                       "ATTACH PARTITION "
                       "\"public\".\"measurements_tenant_idx_measurements_2024\""));
  // Sweep matches rows on (tableoid, ctid).
  EXPECT_TRUE(contains(plan.findStep("backfill/measurements")->backfill->sweepSql, "t.tableoid"));
  // Policies on the parent and on each partition.
  EXPECT_NE(plan.findStep("rls/policies/measurements"), nullptr);
  EXPECT_NE(plan.findStep("rls/policies/measurements_2024"), nullptr);
}

View view(std::string name, std::vector<std::string> tables, bool materialized, bool invoker) {
  View out;
  out.name = std::move(name);
  out.tables = std::move(tables);
  out.materialized = materialized;
  out.securityInvoker = invoker;
  return out;
}

TEST(PlannerSteps, ViewsReadingTenantTablesBecomeSecurityInvoker) {
  Catalog catalog = shopCatalog();
  catalog.views.push_back(view("order_totals", {"orders"}, false, false));
  catalog.views.push_back(view("safe_orders", {"orders"}, false, true));
  catalog.views.push_back(view("other", {"unrelated"}, false, false));
  View outer = view("big_orders", {}, false, false);
  outer.views = {"order_totals"};
  catalog.views.push_back(outer);
  Plan plan = buildPlan(specFor(), catalog);
  const Step* totals = plan.findStep("rls/view/order_totals");
  ASSERT_NE(totals, nullptr);
  EXPECT_EQ(totals->up[0].sql,
            "ALTER VIEW \"public\".\"order_totals\" SET (security_invoker = true)");
  EXPECT_EQ(totals->down[0].sql, "ALTER VIEW \"public\".\"order_totals\" RESET (security_invoker)");
  EXPECT_NE(plan.findStep("rls/view/big_orders"), nullptr) << "a view over a view";
  EXPECT_EQ(plan.findStep("rls/view/safe_orders"), nullptr);
  EXPECT_EQ(plan.findStep("rls/view/other"), nullptr);

  // Kept by the spec: left alone, with a note.
  auto spec = specFor();
  spec.accept.views = {"order_totals"};
  plan = buildPlan(spec, catalog);
  EXPECT_EQ(plan.findStep("rls/view/order_totals"), nullptr);
  EXPECT_TRUE(hasNoteContaining(plan, "accepted by spec.accept.views"));

  // A view the app reads, over a table it cannot read: switching would break it.
  for (auto& v : catalog.views) {
    if (v.name == "order_totals") {
      v.appPrivileges.effective = {"SELECT"};
    }
  }
  try {
    buildPlan(specFor(), catalog);
    ADD_FAILURE() << "expected a SpecError";
  } catch (const api::SpecError& error) {
    EXPECT_EQ(error.field(), "spec.accept.views");
    EXPECT_TRUE(contains(error.what(), "GRANT SELECT ON orders TO app")) << error.what();
  }
}

// A view of another schema over a tenant table runs as its owner just the same: it is switched
// too, named schema.name in the step id and in spec.accept.
TEST(PlannerSteps, ViewsOfOtherSchemasReadingTenantTablesBecomeSecurityInvoker) {
  Catalog catalog = shopCatalog();
  View totals = view("order_totals", {"orders"}, false, false);
  totals.schema = "reporting";
  View outer = view("big_orders", {}, false, false);
  outer.schema = "Sales Dept";
  outer.views = {"reporting.order_totals"};
  View local = view("order_totals", {"orders"}, false, false);  // same name, the spec's schema
  local.schema = "public";
  View counts = view("order_counts", {"orders"}, true, false);
  counts.schema = "reporting";
  counts.appPrivileges.effective = {"SELECT"};
  counts.appPrivileges.direct = {"SELECT"};
  catalog.views = {totals, outer, local, counts};
  Plan plan = buildPlan(specFor(), catalog);
  const Step* other = plan.findStep("rls/view/reporting.order_totals");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->up[0].sql,
            "ALTER VIEW \"reporting\".\"order_totals\" SET (security_invoker = true)");
  EXPECT_EQ(other->down[0].sql,
            "ALTER VIEW \"reporting\".\"order_totals\" RESET (security_invoker)");
  const Step* above = plan.findStep("rls/view/Sales Dept.big_orders");
  ASSERT_NE(above, nullptr) << "a view of a third schema over it";
  EXPECT_EQ(above->up[0].sql,
            "ALTER VIEW \"Sales Dept\".\"big_orders\" SET (security_invoker = true)");
  ASSERT_NE(plan.findStep("rls/view/order_totals"), nullptr);
  EXPECT_EQ(plan.findStep("rls/view/order_totals")->up[0].sql,
            "ALTER VIEW \"public\".\"order_totals\" SET (security_invoker = true)");
  const Step* revoke = plan.findStep("rls/materialized-view/reporting.order_counts");
  ASSERT_NE(revoke, nullptr);
  EXPECT_EQ(revoke->up[0].sql, "REVOKE SELECT ON \"reporting\".\"order_counts\" FROM \"app\"");

  // Accepted by schema.name; the plain name accepts only the spec's schema's view.
  auto spec = specFor();
  spec.accept.views = {"reporting.order_totals"};
  spec.accept.materializedViews = {"reporting.order_counts"};
  plan = buildPlan(spec, catalog);
  EXPECT_EQ(plan.findStep("rls/view/reporting.order_totals"), nullptr);
  EXPECT_NE(plan.findStep("rls/view/order_totals"), nullptr);
  EXPECT_EQ(plan.findStep("rls/materialized-view/reporting.order_counts"), nullptr);
  spec.accept.views = {"order_totals"};
  plan = buildPlan(spec, catalog);
  EXPECT_NE(plan.findStep("rls/view/reporting.order_totals"), nullptr);
  EXPECT_EQ(plan.findStep("rls/view/order_totals"), nullptr);
}

TEST(PlannerSteps, MaterializedViewsLoseTheAppRolesSelectUnlessAccepted) {
  Catalog catalog = shopCatalog();
  View counts = view("order_counts", {"orders"}, true, false);
  counts.owner = "owner";
  counts.appPrivileges.effective = {"SELECT"};
  counts.appPrivileges.direct = {"SELECT"};
  counts.appPrivileges.viaPublic = {"SELECT"};
  catalog.views.push_back(counts);
  Plan plan = buildPlan(specFor(), catalog);
  const Step* revoke = plan.findStep("rls/materialized-view/order_counts");
  ASSERT_NE(revoke, nullptr);
  EXPECT_EQ(revoke->up[0].sql, "REVOKE SELECT ON \"public\".\"order_counts\" FROM \"app\"");
  EXPECT_EQ(revoke->up[1].sql, "REVOKE SELECT ON \"public\".\"order_counts\" FROM PUBLIC");
  EXPECT_EQ(revoke->down[1].sql, "GRANT SELECT ON \"public\".\"order_counts\" TO PUBLIC");
  // REFRESH runs as the view's owner whoever issues it: a superuser's refresh is no way out.
  EXPECT_TRUE(hasNoteContaining(plan,
                                "REFRESH runs its query as the view's owner owner whoever "
                                "issues it (a superuser too)"));
  EXPECT_TRUE(hasNoteContaining(plan,
                                "a refresh stores no rows, or with a tenant set only that "
                                "tenant's"));
  EXPECT_TRUE(hasNoteContaining(
      plan, "ALTER MATERIALIZED VIEW \"public\".\"order_counts\" OWNER TO that role"));
  EXPECT_FALSE(hasNoteContaining(plan, "refresh it as a superuser"));
  auto spec = specFor();
  spec.accept.materializedViews = {"order_counts"};
  plan = buildPlan(spec, catalog);
  EXPECT_EQ(plan.findStep("rls/materialized-view/order_counts"), nullptr);
}

TEST(PlannerSteps, OddIdentifiersAreQuotedEverywhere) {
  Catalog catalog = catalogOf({
      TableBuilder("user").primaryKey({{"User ID", "bigint"}}),
      TableBuilder("order")
          .primaryKey({{"id", "bigint"}})
          .column("we\"ird", "bigint", true)
          .foreignKey("order_user_fkey", {"we\"ird"}, "user", {"User ID"}),
  });
  catalog.schema = "My Schema";
  auto spec = specFor();
  spec.database.schema = "My Schema";
  spec.tenant.column = "Tenant Id";
  spec.tenant.setting = "app.tenant'x";
  const Plan plan = buildPlan(spec, catalog);
  const std::string add = plan.findStep("schema/add-column/order")->up[0].sql;
  EXPECT_EQ(add, "ALTER TABLE \"My Schema\".\"order\" ADD COLUMN IF NOT EXISTS \"Tenant Id\" uuid");
  const std::string backfill = allSql(*plan.findStep("backfill/order"));
  EXPECT_TRUE(contains(backfill, "p.\"User ID\" = t.\"we\"\"ird\"")) << backfill;
  EXPECT_TRUE(contains(backfill, "FROM \"My Schema\".\"user\" p")) << backfill;
  EXPECT_TRUE(contains(allSql(*plan.findStep("rls/policies/user")),
                       "current_setting('app.tenant''x', true)"));
  EXPECT_TRUE(contains(allSql(*plan.findStep("schema/trigger/order")), "NEW.\"Tenant Id\""));
  // No identifier appears unquoted: every SQL text mentions the tables only in quotes.
  for (const auto& step : plan.steps) {
    const std::string sql = allSql(step);
    EXPECT_FALSE(contains(sql, " order ")) << step.id;
    EXPECT_FALSE(contains(sql, ".order")) << step.id;
    EXPECT_FALSE(contains(sql, " Tenant Id")) << step.id;
  }
}

TEST(PlannerSteps, PlanningIsDeterministic) {
  const Plan a = buildPlan(specFor(), shopCatalog());
  const Plan b = buildPlan(specFor(), shopCatalog());
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (std::size_t i = 0; i < a.steps.size(); ++i) {
    EXPECT_EQ(a.steps[i].id, b.steps[i].id);
    EXPECT_EQ(a.steps[i].checksum(), b.steps[i].checksum());
  }
}

}  // namespace
}  // namespace tenantshift::plan

namespace tenantshift::plan {
namespace {

// A table with RLS enabled and no policy denies every row: the application (which keeps running)
// must never see that state, not even after a kill between two steps.
TEST(PlannerSteps, PoliciesExistBeforeRowLevelSecurityIsEnabled) {
  const Plan plan = buildPlan(testing::specFor(), shopCatalog());
  std::size_t tables = 0;
  for (const Step* step : plan.stepsOf(Phase::Rls)) {
    if (step->id.rfind("rls/enable/", 0) == 0) {
      ++tables;
      EXPECT_LT(positionOf(plan, "rls/policies/" + step->table), positionOf(plan, step->id))
          << step->table;
    }
  }
  EXPECT_GT(tables, 0U);
}

}  // namespace
}  // namespace tenantshift::plan
