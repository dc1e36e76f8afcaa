// Runs the planner's SQL on a real PostgreSQL with a minimal step runner (the engine has its own;
// this one only proves that every statement the planner writes is valid, idempotent and does
// what its step says): schema shapes with derived, composite, column-sourced, key-less and
// partitioned tables, odd identifiers, then rollback.

#include <gtest/gtest.h>

#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "db/catalog_reader.h"
#include "plan/planner.h"
#include "support/postgres_server.h"

namespace tenantshift::plan {
namespace {

using tenantshift::testing::PostgresServer;

constexpr const char* kDefaultTenant = "00000000-0000-0000-0000-000000000001";
constexpr const char* kStoreA = "aaaaaaaa-0000-0000-0000-000000000001";

pqxx::result execParams(pqxx::transaction_base& tx, const Statement& statement) {
  return tx.exec_params(statement.sql, pqxx::prepare::make_dynamic_params(statement.params));
}

void runStatements(pqxx::connection& conn, const std::vector<Statement>& statements,
                   Execution execution) {
  if (execution == Execution::Concurrent) {
    for (const auto& statement : statements) {
      pqxx::nontransaction tx(conn);
      execParams(tx, statement);
    }
    return;
  }
  pqxx::work tx(conn);
  for (const auto& statement : statements) {
    execParams(tx, statement);
  }
  tx.commit();
}

bool applied(pqxx::connection& conn, const Step& step) {
  if (!step.appliedCheck) {
    return false;
  }
  pqxx::nontransaction tx(conn);
  return execParams(tx, *step.appliedCheck)[0][0].as<bool>();
}

std::int64_t runBackfill(pqxx::connection& conn, const BackfillTask& task) {
  std::int64_t updated = 0;
  std::vector<std::string> cursor;
  std::vector<std::string> bound;
  if (!task.keyColumns.empty()) {
    pqxx::work boundTx(conn);
    const auto last = boundTx.exec(task.upperBoundSql);
    boundTx.commit();
    for (std::size_t i = 0; !last.empty() && i < task.keyColumns.size(); ++i) {
      bound.push_back(last[0][static_cast<int>(i)].as<std::string>());
    }
  }
  if (!bound.empty()) {
    for (;;) {
      const bool first = cursor.empty();
      std::vector<std::string> endParams{"7"};
      endParams.insert(endParams.end(), cursor.begin(), cursor.end());
      endParams.insert(endParams.end(), bound.begin(), bound.end());
      pqxx::work tx(conn);
      auto end = tx.exec_params(first ? task.firstBatchEndSql : task.nextBatchEndSql,
                                pqxx::prepare::make_dynamic_params(endParams));
      if (end.empty()) {
        break;
      }
      std::vector<std::string> last;
      for (std::size_t i = 0; i < task.keyColumns.size(); ++i) {
        last.push_back(end[0][static_cast<int>(i + 1)].as<std::string>());
      }
      std::vector<std::string> params{kDefaultTenant};
      params.insert(params.end(), cursor.begin(), cursor.end());
      params.insert(params.end(), last.begin(), last.end());
      auto rows = tx.exec_params(first ? task.firstBatchSql : task.nextBatchSql,
                                 pqxx::prepare::make_dynamic_params(params));
      tx.commit();
      updated += rows[0][0].as<std::int64_t>();
      cursor = last;
    }
  }
  for (;;) {
    pqxx::work tx(conn);
    auto rows = tx.exec_params(task.sweepSql, "7", kDefaultTenant);
    tx.commit();
    const auto swept = rows[0][0].as<std::int64_t>();
    updated += swept;
    if (swept == 0) {
      break;
    }
  }
  return updated;
}

void runStep(pqxx::connection& conn, const Step& step) {
  SCOPED_TRACE(step.id);
  if (step.execution == Execution::Verify || applied(conn, step)) {
    return;
  }
  if (step.execution == Execution::Backfill) {
    runBackfill(conn, *step.backfill);
    return;
  }
  runStatements(conn, step.up, step.execution);
}

std::int64_t count(pqxx::connection& conn, const std::string& sql) {
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<std::int64_t>();
}

class PlanSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = PostgresServer::shared();
    url_ = server.createDatabase("plan_sql");
    role_ = "plan_app_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            url_.substr(url_.rfind('/') + 1);
    server.psql(url_, R"sql(
      CREATE ROLE )sql" + role_ +
                          R"sql( LOGIN;
      CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);
      CREATE TABLE "order" (id bigserial PRIMARY KEY, "User Id" bigint NOT NULL REFERENCES users,
                            code text NOT NULL, CONSTRAINT order_code_key UNIQUE (code));
      CREATE UNIQUE INDEX order_code_partial ON "order" (code) WHERE code <> '';
      CREATE TABLE order_lines (order_id bigint NOT NULL REFERENCES "order", line int NOT NULL,
                                PRIMARY KEY (order_id, line));
      CREATE TABLE stores_data (id int PRIMARY KEY, store_id uuid);
      CREATE TABLE logs (message text);
      CREATE TABLE measurements (id bigint, taken date, v int, PRIMARY KEY (id, taken))
        PARTITION BY RANGE (taken);
      CREATE TABLE measurements_2023 PARTITION OF measurements
        FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
      CREATE TABLE measurements_2024 PARTITION OF measurements
        FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE VIEW order_view AS SELECT * FROM "order";
      INSERT INTO users (email) SELECT 'u' || g || '@x' FROM generate_series(1, 20) g;
      INSERT INTO "order" ("User Id", code) SELECT 1 + g % 20, 'c' || g FROM generate_series(1, 50) g;
      INSERT INTO order_lines SELECT 1 + g % 50, g FROM generate_series(1, 90) g;
      INSERT INTO stores_data SELECT g, CASE WHEN g % 4 = 0 THEN NULL
        ELSE ('aaaaaaaa-0000-0000-0000-00000000000' || (g % 3 + 1))::uuid END
        FROM generate_series(1, 40) g;
      INSERT INTO logs SELECT 'm' || g FROM generate_series(1, 15) g;
      INSERT INTO measurements SELECT g, DATE '2023-06-01' + g * 10, g FROM generate_series(1, 40) g;
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO )sql" +
                          role_ + R"sql(;
      GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO )sql" +
                          role_ + ";");
    conn_ = std::make_unique<pqxx::connection>(url_);
    spec_.database.appRole = role_;
    api::TenantSource column;
    column.kind = api::TenantSource::Kind::Column;
    column.column = "store_id";
    spec_.tables = std::vector<api::TableSpec>{};
    for (const char* name :
         {"users", "order", "order_lines", "stores_data", "logs", "measurements"}) {
      api::TableSpec table;
      table.name = name;
      if (table.name == "stores_data") {
        table.from = column;
      }
      spec_.tables->push_back(table);
    }
    spec_.featureFlag.sql = api::SqlFeatureFlag{"SELECT 1", "SELECT 0"};
    catalog_ = db::readCatalog(*conn_, "public", role_);
    plan_ = buildPlan(spec_, catalog_);
  }

  void TearDown() override {
    conn_.reset();
    PostgresServer::shared().psql(PostgresServer::shared().url(),
                                  "DROP DATABASE IF EXISTS " + url_.substr(url_.rfind('/') + 1) +
                                      "; DROP ROLE IF EXISTS " + role_ + ";");
  }

  void runPhases(std::initializer_list<Phase> phases) {
    for (Phase phase : phases) {
      for (const Step* step : plan_.stepsOf(phase)) {
        runStep(*conn_, *step);
      }
    }
  }

  std::int64_t countAsApp(const std::string& setting, const std::string& sql) {
    pqxx::work tx(*conn_);
    tx.exec("SET LOCAL ROLE " + tx.quote_name(role_));
    tx.exec_params("SELECT set_config($1, $2, true)", "app.current_tenant_id", setting);
    auto value = tx.exec1(sql)[0].as<std::int64_t>();
    tx.abort();
    return value;
  }

  std::string url_;
  std::string role_;
  std::unique_ptr<pqxx::connection> conn_;
  api::MigrationSpec spec_;
  Catalog catalog_;
  Plan plan_;
};

TEST_F(PlanSqlTest, ConvertsEveryShapeAndIsolatesTenants) {
  runPhases({Phase::Schema});
  // The unchanged application keeps writing without tenant_id.
  {
    pqxx::work tx(*conn_);
    tx.exec("SET LOCAL ROLE " + tx.quote_name(role_));
    tx.exec("INSERT INTO \"order\" (\"User Id\", code) VALUES (3, 'new-order')");
    tx.exec("INSERT INTO stores_data VALUES (1000, 'bbbbbbbb-0000-0000-0000-000000000009')");
    tx.exec("INSERT INTO logs VALUES ('during schema')");
    tx.commit();
  }
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM tenants WHERE id = "
                  "'bbbbbbbb-0000-0000-0000-000000000009'"),
            1);
  runPhases({Phase::Backfill, Phase::Constraints, Phase::Rls});

  for (const char* table :
       {"users", "\"order\"", "order_lines", "stores_data", "logs", "measurements"}) {
    EXPECT_EQ(
        count(*conn_, std::string("SELECT count(*) FROM ") + table + " WHERE tenant_id IS NULL"), 0)
        << table;
  }
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM stores_data WHERE tenant_id IS DISTINCT FROM "
                  "COALESCE(store_id, '" +
                      std::string(kDefaultTenant) + "')"),
            0);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM tenants"), 5);  // default, 3 stores, 1 new
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), 0);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT "
                  "convalidated"),
            0);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                  "WHERE a.attname = 'tenant_id' AND NOT a.attnotnull AND c.relkind IN ('r', 'p') "
                  "AND c.relname <> 'tenants'"),
            0);
  // Until the flag, the global unique keys stay (the unchanged application's ON CONFLICT needs
  // them) next to their per-tenant replacements.
  const std::string leadsWithTenant =
      "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
      "a.attnum = i.indkey[0] WHERE i.indexrelid = 'NAME'::regclass AND a.attname = 'tenant_id'";
  auto leads = [&](const std::string& index) {
    std::string sql = leadsWithTenant;
    sql.replace(sql.find("NAME"), 4, index);
    return count(*conn_, sql);
  };
  EXPECT_EQ(leads("order_code_key"), 0);
  EXPECT_EQ(leads("order_code_key_tenant"), 1);

  // Transition: no tenant set sees every row; a tenant set only its own.
  EXPECT_EQ(countAsApp("", "SELECT count(*) FROM stores_data"), 41);
  const auto storeA = count(*conn_, std::string("SELECT count(*) FROM stores_data WHERE "
                                                "store_id = '") +
                                        kStoreA + "'");
  EXPECT_GT(storeA, 0);
  EXPECT_EQ(countAsApp(kStoreA, "SELECT count(*) FROM stores_data"), storeA);
  EXPECT_EQ(countAsApp(kStoreA, "SELECT count(*) FROM measurements_2023"), 0);

  runPhases({Phase::Flag});
  EXPECT_EQ(countAsApp("", "SELECT count(*) FROM users"), 0);
  EXPECT_EQ(countAsApp(kDefaultTenant, "SELECT count(*) FROM users"), 20);
  // After the flag the per-tenant keys carry the original names, with every property kept.
  EXPECT_EQ(leads("order_code_key"), 1);
  EXPECT_EQ(leads("order_code_partial"), 1);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_index WHERE indexrelid = "
                  "'order_code_partial'::regclass AND indpred IS NOT NULL"),
            1);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_constraint WHERE conname = 'order_code_key' AND "
                  "contype = 'u'"),
            1);

  // Nothing written since the migration began would be lost by a rollback...
  for (const auto& check : plan_.dataLossChecks) {
    pqxx::nontransaction tx(*conn_);
    EXPECT_EQ(execParams(tx, check.query)[0][0].as<std::int64_t>(), 0) << check.what;
  }
  // ...until a row moves to another tenant; the rows that derive their tenant from it move with
  // it (the tenant-consistent foreign keys cascade).
  {
    pqxx::work tx(*conn_);
    tx.exec(std::string("INSERT INTO tenants (id, slug, name) VALUES ('") + kStoreA +
            "', 'a', 'A') ON CONFLICT DO NOTHING");
    tx.exec(std::string("UPDATE users SET tenant_id = '") + kStoreA + "' WHERE id = 1");
    tx.commit();
  }
  EXPECT_EQ(count(*conn_, std::string("SELECT count(*) FROM \"order\" WHERE \"User Id\" = 1 AND "
                                      "tenant_id IS DISTINCT FROM '") +
                              kStoreA + "'"),
            0);
  EXPECT_EQ(count(*conn_, std::string("SELECT count(*) FROM order_lines l JOIN \"order\" o ON "
                                      "o.id = l.order_id WHERE l.tenant_id IS DISTINCT FROM "
                                      "o.tenant_id")),
            0);
  std::int64_t lost = 0;
  for (const auto& check : plan_.dataLossChecks) {
    pqxx::nontransaction tx(*conn_);
    lost += execParams(tx, check.query)[0][0].as<std::int64_t>();
  }
  EXPECT_GT(lost, 0);
}

// A view of another schema, owned by the superuser, over a tenant table: read from the catalog
// like the schema's own, switched to security_invoker, and then filtered by the policies.
TEST_F(PlanSqlTest, ViewsOfOtherSchemasOverTenantTablesBecomeSecurityInvoker) {
  PostgresServer::shared().psql(
      url_,
      "CREATE SCHEMA reporting; CREATE VIEW reporting.order_codes AS SELECT code FROM "
      "\"order\"; CREATE VIEW reporting.order_count AS SELECT count(*) AS n FROM "
      "reporting.order_codes; GRANT USAGE ON SCHEMA reporting TO " +
          role_ + "; GRANT SELECT ON reporting.order_codes, reporting.order_count TO " + role_ +
          ";");
  catalog_ = db::readCatalog(*conn_, "public", role_);
  const View* read = catalog_.findView("reporting.order_count");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->views, std::vector<std::string>{"reporting.order_codes"});
  ASSERT_NE(catalog_.findView("reporting.order_codes"), nullptr);
  EXPECT_EQ(catalog_.findView("reporting.order_codes")->tables, std::vector<std::string>{"order"});
  plan_ = buildPlan(spec_, catalog_);
  for (const char* id : {"rls/view/reporting.order_codes", "rls/view/reporting.order_count"}) {
    EXPECT_NE(plan_.findStep(id), nullptr) << id;
  }
  runPhases({Phase::Schema, Phase::Backfill, Phase::Constraints, Phase::Rls, Phase::Flag});
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_class WHERE relnamespace = 'reporting'::regnamespace "
                  "AND 'security_invoker=true' = ANY (reloptions)"),
            2);
  EXPECT_EQ(countAsApp(kStoreA, "SELECT n FROM reporting.order_count"), 0)
      << "another tenant reads the orders through a view of another schema";
  EXPECT_EQ(countAsApp(kDefaultTenant, "SELECT n FROM reporting.order_count"), 50);
}

TEST_F(PlanSqlTest, EveryStepCanRunTwiceAndEverythingRollsBack) {
  const auto columnsBefore =
      count(*conn_,
            "SELECT count(*) FROM pg_attribute a JOIN pg_class c "
            "ON c.oid = a.attrelid WHERE a.attnum > 0 AND "
            "c.relnamespace = 'public'::regnamespace AND NOT a.attisdropped");
  for (const auto& step : plan_.steps) {
    runStep(*conn_, step);
    runStep(*conn_, step);  // resumed after the step committed but before the ledger noted it
  }
  for (auto it = plan_.steps.rbegin(); it != plan_.steps.rend(); ++it) {
    SCOPED_TRACE(it->id);
    runStatements(*conn_, it->down, it->downExecution);
  }
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM pg_class WHERE relname = 'tenants'"), 0);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM pg_policy"), 0);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_class WHERE relrowsecurity AND "
                  "relnamespace = 'public'::regnamespace"),
            0);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = "
                  "a.attrelid WHERE a.attnum > 0 AND c.relnamespace = "
                  "'public'::regnamespace AND NOT a.attisdropped"),
            columnsBefore);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_attribute WHERE attname = 'tenant_id' AND "
                  "NOT attisdropped"),
            0);
  // The unique keys are back to their original shape.
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_constraint WHERE conname = 'order_code_key' "
                  "AND array_length(conkey, 1) = 1"),
            1);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_index WHERE indexrelid = "
                  "'order_code_partial'::regclass AND indnatts = 1"),
            1);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), 0);
  EXPECT_EQ(count(*conn_,
                  "SELECT count(*) FROM pg_proc WHERE pronamespace = "
                  "'public'::regnamespace"),
            0);
}

}  // namespace
}  // namespace tenantshift::plan
