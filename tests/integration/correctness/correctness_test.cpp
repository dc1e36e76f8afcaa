// The engine's result on schemas shaped like real applications, one behaviour per test, through
// the Engine facade on a real PostgreSQL, with the unchanged application (as its own role)
// writing between the phases: the right tenant on every row, nothing the application relies on
// broken, partitions handled on the partitioned table.
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "api/spec_error.h"
#include "api/spec_parser.h"
#include "cli/plan_format.h"
#include "engine/engine.h"
#include "engine/run_observer.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_move_guard.h"
#include "support/postgres_server.h"

namespace tenantshift::engine {
namespace {

using tenantshift::testing::PostgresServer;

// orgs is the existing tenants table (integer ids, narrow text columns, a CHECK, a required
// column without a default); stores take their tenant from a legacy column without a foreign
// key; customers from their store, orders from their customer, notes from an optional customer.
constexpr const char* kSchema = R"sql(
CREATE TABLE orgs (id integer PRIMARY KEY,
  slug varchar(8) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]+$'),
  name varchar(20) NOT NULL, plan text NOT NULL);
INSERT INTO orgs VALUES (1, 'hq', 'Head office', 'gold'), (2, 'north', 'North', 'basic'),
  (3, 'south', 'South', 'basic');
CREATE TABLE stores (id integer PRIMARY KEY, org_no integer NOT NULL);
INSERT INTO stores VALUES (1, 2), (2, 2), (3, 3), (4, 3);
CREATE TABLE customers (id serial PRIMARY KEY, store_id integer NOT NULL REFERENCES stores,
  email text NOT NULL, CONSTRAINT customers_email_key UNIQUE (email));
INSERT INTO customers (store_id, email) SELECT 1 + (g % 4), 'c' || g || '@x' FROM
  generate_series(1, 40) g;
CREATE TABLE orders (id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers,
  note text);
INSERT INTO orders (customer_id, note) SELECT 1 + (g % 40), 'o' || g FROM generate_series(1, 200) g;
CREATE TABLE notes (id serial PRIMARY KEY, customer_id integer REFERENCES customers, body text);
INSERT INTO notes (customer_id, body) SELECT CASE WHEN g % 2 = 0 THEN NULL ELSE 1 + (g % 40) END,
  'n' || g FROM generate_series(1, 60) g;
CREATE TABLE flags (name text PRIMARY KEY, enabled boolean NOT NULL);
INSERT INTO flags VALUES ('tenancy', false);
)sql";

class Correctness : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().createDatabase("correctness");
    role_ = "app_" + url_.substr(url_.rfind('/') + 1);
    sql("CREATE ROLE " + plan::quoteIdent(role_) + " LOGIN");
    sql(kSchema);
  }

  void grantApp() {
    const std::string role = plan::quoteIdent(role_);
    sql("GRANT USAGE ON SCHEMA public TO " + role +
        "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role +
        "; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " + role +
        "; REVOKE INSERT, UPDATE, DELETE ON flags, orgs FROM " + role);
  }

  api::TenantMigration migration(const std::string& extraTables = "",
                                 const std::string& extraSpec = "",
                                 const std::string& extraTenant = "") {
    return api::parseTenantMigration(
        "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nmetadata: {name: shop}\n"
        "spec:\n"
        "  database: {appRole: " +
        role_ +
        "}\n"
        "  tenant: {table: orgs, column: org_id, idType: bigint, setting: app.org,\n"
        "           default: {id: \"1\", slug: hq, name: Head office}" +
        extraTenant +
        "}\n"
        "  tables:\n"
        "    - name: stores\n"
        "      from: {column: org_no}\n" +
        extraTables +
        "  exclude: [flags]\n"
        "  backfill: {batchSize: 7, pause: 0ms}\n"
        "  ddl: {lockTimeout: 1s, retries: 5}\n"
        "  featureFlag:\n"
        "    sql: {\"on\": \"UPDATE flags SET enabled = true\", \"off\": \"UPDATE flags SET "
        "enabled = false\"}\n" +
        extraSpec);
  }

  RunResult run(const api::TenantMigration& m, std::optional<plan::Phase> until = std::nullopt) {
    Engine engine(url_, m, observer_);
    RunOptions options;
    options.until = until;
    return engine.run(options);
  }

  // The schema phase, then stores and customers filled as the backfill leaves them; orders and
  // notes not yet. Customer 2 is at store 3, org 3's.
  void schemaPhaseWithCustomersFilled() {
    grantApp();
    run(migration(), plan::Phase::Schema);
    sql("UPDATE stores SET org_id = org_no; UPDATE customers c SET org_id = s.org_id FROM stores "
        "s WHERE s.id = c.store_id");
    ASSERT_EQ(scalar("SELECT org_id FROM customers WHERE id = 2"), "3");
  }

  void sql(const std::string& text) { PostgresServer::shared().psql(url_, text); }

  // After a refused run: no tenant column anywhere, no ledger.
  void expectNothingChanged() {
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_attribute WHERE attname = 'org_id' AND attnum > 0 "
                     "AND NOT attisdropped"),
              "0")
        << "the refused run changed the schema";
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'tenantshift'"), "0")
        << "the refused run created the ledger";
  }

  std::string scalar(const std::string& query) {
    pqxx::connection connection(url_);
    pqxx::nontransaction tx(connection);
    const auto row = tx.exec1(query);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  // As the application role, with `org` set for the transaction (none: no tenant).
  // Returns "" on success, else the SQLSTATE or the error text.
  std::string asApp(const std::string& statement, const std::optional<std::string>& org = {}) {
    pqxx::connection connection(url_);
    pqxx::work tx(connection);
    tx.exec("SET LOCAL ROLE " + plan::quoteIdent(role_));
    if (org) {
      tx.exec_params("SELECT set_config('app.org', $1, true)", *org);
    }
    try {
      tx.exec(statement);
      tx.commit();
      return "";
    } catch (const pqxx::sql_error& error) {
      return error.sqlstate().empty() ? std::string(error.what()) : error.sqlstate();
    }
  }

  // Polls `query` (one boolean) until it is true or 30 s have passed.
  bool awaitTrue(const std::string& query) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (scalar(query) == "t") {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  SilentObserver observer_;
  std::string url_;
  std::string role_;
};

// Issue 6.1: a row the old application inserts while its parent has no tenant yet is left for
// the backfill, which derives it like every other row: never the default tenant by guess.
TEST_F(Correctness, RowsInsertedBeforeTheirParentIsBackfilledGetTheParentsTenant) {
  grantApp();
  run(migration(), plan::Phase::Schema);
  // customers 3 belongs to store 4, of org 3; nothing is backfilled yet.
  ASSERT_EQ(asApp("INSERT INTO orders (customer_id, note) VALUES (3, 'early')"), "");
  ASSERT_EQ(asApp("INSERT INTO customers (store_id, email) VALUES (3, 'early@x')"), "");
  EXPECT_EQ(scalar("SELECT org_id FROM orders WHERE note = 'early'"), "NULL")
      << "the trigger guessed a tenant instead of leaving the row to the backfill";
  run(migration(), plan::Phase::Backfill);
  EXPECT_EQ(scalar("SELECT org_id FROM orders WHERE note = 'early'"), "3");
  EXPECT_EQ(scalar("SELECT org_id FROM customers WHERE email = 'early@x'"), "3");
  // Once the parents are backfilled, new rows get their parent's tenant at once.
  ASSERT_EQ(asApp("INSERT INTO orders (customer_id, note) VALUES (3, 'late')"), "");
  EXPECT_EQ(scalar("SELECT org_id FROM orders WHERE note = 'late'"), "3");
  EXPECT_EQ(scalar("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
                   "WHERE o.org_id IS DISTINCT FROM c.org_id"),
            "0");
}

// Issue 6.2: a nullable foreign key to a table whose tenant is known is a derivation: rows with a
// parent get its tenant, rows without one the default.
TEST_F(Correctness, NullableForeignKeysDeriveAndRowsWithoutAParentGetTheDefault) {
  grantApp();
  run(migration(), plan::Phase::Backfill);
  EXPECT_EQ(scalar("SELECT count(*) FROM notes n JOIN customers c ON c.id = n.customer_id "
                   "WHERE n.org_id IS DISTINCT FROM c.org_id"),
            "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM notes WHERE customer_id IS NULL AND org_id <> 1"), "0");
  EXPECT_GT(std::stoi(scalar("SELECT count(*) FROM notes WHERE org_id <> 1")), 0);
  ASSERT_EQ(asApp("INSERT INTO notes (customer_id, body) VALUES (NULL, 'anonymous'), (2, 'c2')"),
            "");
  EXPECT_EQ(scalar("SELECT org_id FROM notes WHERE body = 'anonymous'"), "1");
  EXPECT_EQ(scalar("SELECT org_id FROM notes WHERE body = 'c2'"),
            scalar("SELECT org_id FROM customers WHERE id = 2"));
}

// Issue 6.3: moving a row to another parent re-derives its tenant, and the rows that derive
// their tenant from it follow; after the flag a tenant cannot move its row under another
// tenant's parent.
TEST_F(Correctness, ReparentingReDerivesTheTenantBeforeAndAfterTheFlag) {
  grantApp();
  run(migration(), plan::Phase::Constraints);
  // Customer 2 (store 3, org 3) moves to store 1 (org 2): it and its orders and notes follow.
  ASSERT_EQ(scalar("SELECT org_id FROM customers WHERE id = 2"), "3");
  ASSERT_EQ(asApp("UPDATE customers SET store_id = 1 WHERE id = 2"), "");
  EXPECT_EQ(scalar("SELECT org_id FROM customers WHERE id = 2"), "2");
  EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE customer_id = 2 AND org_id <> 2"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM notes WHERE customer_id = 2 AND org_id <> 2"), "0");
  // A note moves from customer 2 (org 2) to customer 3 (org 3), then to no customer.
  ASSERT_EQ(asApp("UPDATE notes SET customer_id = 3 WHERE id = (SELECT min(id) FROM notes "
                  "WHERE customer_id = 2)"),
            "");
  EXPECT_EQ(scalar("SELECT count(*) FROM notes WHERE customer_id = 3 AND org_id <> 3"), "0");
  ASSERT_EQ(asApp("UPDATE notes SET customer_id = NULL WHERE customer_id = 3"), "");
  EXPECT_EQ(scalar("SELECT count(*) FROM notes WHERE customer_id IS NULL AND org_id <> 1"), "0");

  run(migration());
  ASSERT_EQ(scalar("SELECT enabled::text FROM flags"), "true");
  // Within its own tenant, org 2 moves customer 2 to store 2 (org 2).
  EXPECT_EQ(asApp("UPDATE customers SET store_id = 2 WHERE id = 2", std::string("2")), "");
  EXPECT_EQ(scalar("SELECT store_id FROM customers WHERE id = 2"), "2");
  // Under a store of org 3: refused.
  EXPECT_NE(asApp("UPDATE customers SET store_id = 3 WHERE id = 2", std::string("2")), "");
  EXPECT_EQ(scalar("SELECT store_id || '/' || org_id FROM customers WHERE id = 2"), "2/2");
}

// Issue 6.6: the unchanged application's ON CONFLICT (email) keeps working until the flag; after
// it the per-tenant key carries the name and two tenants may hold the same email.
TEST_F(Correctness, UpsertsOnTheOldUniqueKeyWorkUntilTheFlag) {
  grantApp();
  const std::string upsert =
      "INSERT INTO customers (store_id, email) VALUES (1, 'c1@x') ON CONFLICT (email) DO UPDATE "
      "SET store_id = EXCLUDED.store_id";
  run(migration(), plan::Phase::Verify);
  EXPECT_EQ(asApp(upsert), "") << "ON CONFLICT (email) broke before the flag";
  run(migration());
  // After the flag the application is tenant-aware and names the per-tenant key.
  EXPECT_EQ(asApp("INSERT INTO customers (store_id, email) VALUES (3, 'c1@x') "
                  "ON CONFLICT (org_id, email) DO NOTHING",
                  std::string("3")),
            "");
  EXPECT_EQ(scalar("SELECT count(*) FROM customers WHERE email = 'c1@x'"), "2");
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                   "'customers_email_key'"),
            "UNIQUE (org_id, email)");
}

// Issue 6.6: a rewritten key keeps its collation, operator class, INCLUDE, NULLS NOT DISTINCT,
// predicate and DEFERRABLE.
TEST_F(Correctness, RewrittenUniqueKeysKeepEveryPropertyOfTheOriginal) {
  sql("CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"
      "CREATE TABLE codes (id serial PRIMARY KEY, store_id integer NOT NULL REFERENCES stores,"
      "  code text NOT NULL, serial text NOT NULL, phone text, pos integer, active boolean,"
      "  CONSTRAINT codes_phone_key UNIQUE NULLS NOT DISTINCT (phone) INCLUDE (code),"
      "  CONSTRAINT codes_pos_key UNIQUE (pos) DEFERRABLE INITIALLY DEFERRED);"
      "CREATE UNIQUE INDEX codes_code_ci ON codes (code COLLATE ci);"
      "CREATE UNIQUE INDEX codes_serial_ops ON codes (serial text_pattern_ops);"
      "CREATE UNIQUE INDEX codes_one_active ON codes (store_id) WHERE active;"
      "INSERT INTO codes (store_id, code, serial, phone, pos, active) SELECT 1 + g % 4, 'C' || g,"
      "  'S' || g, 'P' || g, g, g <= 4 FROM generate_series(1, 20) g;");
  grantApp();
  run(migration());
  auto definition = [&](const std::string& index) {
    return scalar("SELECT pg_get_indexdef('" + index + "'::regclass)");
  };
  EXPECT_EQ(definition("codes_code_ci"),
            "CREATE UNIQUE INDEX codes_code_ci ON public.codes USING btree (org_id, code COLLATE "
            "ci)");
  EXPECT_EQ(definition("codes_serial_ops"),
            "CREATE UNIQUE INDEX codes_serial_ops ON public.codes USING btree (org_id, serial "
            "text_pattern_ops)");
  EXPECT_EQ(definition("codes_one_active"),
            "CREATE UNIQUE INDEX codes_one_active ON public.codes USING btree (org_id, store_id) "
            "WHERE active");
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                   "'codes_phone_key'"),
            "UNIQUE NULLS NOT DISTINCT (org_id, phone) INCLUDE (code)");
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                   "'codes_pos_key'"),
            "UNIQUE (org_id, pos) DEFERRABLE INITIALLY DEFERRED");
}

// Issues 6.7 and 6.8: the application inserts a store of an org that has no row yet: the row is
// created, fitted to the tenants table (its slug within varchar(8), its CHECK, the required
// `plan` taken from the default tenant's row).
TEST_F(Correctness, ANewTenantValueCreatesATenantsRowThatFitsTheTable) {
  grantApp();
  run(migration(), plan::Phase::Schema);
  EXPECT_EQ(asApp("INSERT INTO stores VALUES (10, 42), (11, 123456789)"), "");
  EXPECT_EQ(scalar("SELECT slug || '|' || name || '|' || plan FROM orgs WHERE id = 42"),
            "42|Tenant 42|gold");
  EXPECT_EQ(scalar("SELECT length(slug) <= 8 AND slug ~ '^[a-z0-9-]+$' FROM orgs WHERE id = "
                   "123456789"),
            "t");
  run(migration());
  EXPECT_EQ(scalar("SELECT org_id FROM stores WHERE id = 10"), "42");
}

// Issue 6.5: a reference across tenants that the data really holds is refused by the validation
// of the tenant-consistent key, naming the key and the spec field; accepted, it keeps its form
// and verify lists it.
TEST_F(Correctness, CrossTenantReferencesAreRefusedByNameUntilAccepted) {
  sql("CREATE TABLE pickups (id serial PRIMARY KEY, store_id integer NOT NULL REFERENCES stores,"
      "  customer_id integer NOT NULL REFERENCES customers);"
      // Customer 1 belongs to store 2 (org 2) and picks up at store 3 (org 3).
      "INSERT INTO pickups (store_id, customer_id) VALUES (2, 1), (3, 1);");
  grantApp();
  try {
    run(migration());
    FAIL() << "a cross-tenant reference was validated";
  } catch (const EngineError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("pickups_customer_id_fkey"), std::string::npos) << message;
    EXPECT_NE(message.find("crossTenantRefs"), std::string::npos) << message;
  }
  const RunResult accepted =
      run(migration("    - name: pickups\n      crossTenantRefs: [pickups_customer_id_fkey]\n"));
  ASSERT_TRUE(accepted.verification);
  EXPECT_TRUE(accepted.verification->passed);
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                   "'pickups_customer_id_fkey'"),
            "FOREIGN KEY (customer_id) REFERENCES customers(id)");
  EXPECT_EQ(scalar("SELECT report::text LIKE '%pickups_customer_id_fkey%' FROM tenantshift.step "
                   "WHERE step_id = 'verify/isolation'"),
            "t");
}

// Issue 6.9: foreign keys, the tenant index and the policies live on the partitioned table
// (two levels), so a partition created later gets the keys and the index; every partition has
// its own policies, so reading a partition directly is filtered too.
TEST_F(Correctness, PartitionedTablesAtTwoLevelsAreConvertedOnTheParent) {
  sql("CREATE TABLE visits (id integer, at date NOT NULL, customer_id integer NOT NULL "
      "  REFERENCES customers, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);"
      "CREATE TABLE visits_old PARTITION OF visits FOR VALUES FROM (MINVALUE) TO ('2025-01-01');"
      "CREATE TABLE visits_new PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2030-01-01')"
      "  PARTITION BY HASH (id);"
      "CREATE TABLE visits_new_0 PARTITION OF visits_new FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
      "CREATE TABLE visits_new_1 PARTITION OF visits_new FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
      "INSERT INTO visits SELECT g, DATE '2024-06-01' + g * 7, 1 + g % 40 FROM "
      "  generate_series(1, 120) g;");
  grantApp();
  run(migration());
  EXPECT_EQ(scalar("SELECT count(*) FROM visits v JOIN customers c ON c.id = v.customer_id "
                   "WHERE v.org_id IS DISTINCT FROM c.org_id"),
            "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'visits'::regclass AND "
                   "contype = 'f' AND confrelid = 'orgs'::regclass AND convalidated"),
            "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class c WHERE c.relname LIKE 'visits%' AND "
                   "c.relkind IN ('r', 'p') AND NOT (c.relrowsecurity AND c.relforcerowsecurity "
                   "AND (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) = 4)"),
            "0");
  // Reading a leaf directly shows only the tenant's rows.
  pqxx::connection connection(url_);
  {
    pqxx::work tx(connection);
    tx.exec("SET LOCAL ROLE " + plan::quoteIdent(role_));
    tx.exec_params("SELECT set_config('app.org', '2', true)");
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM visits_new_1 WHERE org_id <> 2")[0].as<int>(), 0);
    EXPECT_GT(tx.exec1("SELECT count(*) FROM visits_new_1")[0].as<int>(), 0);
  }
  // A partition created later inherits the foreign keys and the tenant index (not the
  // policies: verify reports it until it gets them).
  sql("CREATE TABLE visits_2030 PARTITION OF visits FOR VALUES FROM ('2030-01-01') TO "
      "(MAXVALUE)");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'visits_2030'::regclass "
                   "AND contype = 'f' AND confrelid IN ('orgs'::regclass, 'customers'::regclass)"),
            "2");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
                   "i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = "
                   "'visits_2030'::regclass AND a.attname = 'org_id'"),
            "1");
  Engine engine(url_, migration(), observer_);
  const VerifyReport report = engine.verify();
  EXPECT_FALSE(report.passed()) << "a partition without policies passed verify";
  EXPECT_NE(report.toJson().dump().find("visits_2030"), std::string::npos);
}

// Issues 6.7 and 6.8: a CHECK on the existing tenants table that the rows tenantshift would create
// do not satisfy is found before any change, naming the constraint and the spec field; with
// spec.tenant.newTenantRow saying how a new tenant's row is filled, the application's insert of
// a new tenant value works.
TEST_F(Correctness, ATenantsCheckIsRefusedBeforeAnyChangeAndNewTenantRowSatisfiesIt) {
  sql("UPDATE orgs SET slug = 'head' WHERE id = 1; ALTER TABLE orgs DROP CONSTRAINT "
      "orgs_slug_check, ADD CONSTRAINT orgs_slug_letters CHECK (slug ~ '^[a-z]{3,8}$')");
  grantApp();
  try {
    run(migration(), plan::Phase::Schema);
    FAIL() << "the tenants rows tenantshift creates violate orgs_slug_letters, and the run "
              "went ahead";
  } catch (const api::SpecError& error) {
    EXPECT_EQ(error.field(), "spec.tenant.newTenantRow");
    EXPECT_NE(std::string(error.what()).find("orgs_slug_letters"), std::string::npos)
        << error.what();
    // Every value stores hold has its orgs row: only a new value's row is refused (PostgreSQL
    // checks a CHECK before ON CONFLICT would find the existing row, so none is formed for them).
    EXPECT_NE(std::string(error.what()).find("a tenants row for a new value of stores.org_no"),
              std::string::npos)
        << error.what();
  }
  expectNothingChanged();
  // A template that gives every tenant the same slug is refused by name.
  try {
    run(migration("", "", ", newTenantRow: {slug: org}"), plan::Phase::Schema);
    FAIL() << "a constant slug template was accepted";
  } catch (const api::SpecError& error) {
    EXPECT_EQ(error.field(), "spec.tenant.newTenantRow.slug") << error.what();
  }
  const api::TenantMigration filled =
      migration("", "", ", newTenantRow: {slug: \"org{id:letters}\", name: \"Org {id}\"}");
  run(filled, plan::Phase::Schema);
  EXPECT_EQ(asApp("INSERT INTO stores VALUES (10, 42)"), "");
  EXPECT_EQ(scalar("SELECT slug || '|' || name || '|' || plan FROM orgs WHERE id = 42"),
            "orgec|Org 42|gold");
  // A negative id keeps its sign in letters: its slug is not 42's.
  EXPECT_EQ(asApp("INSERT INTO stores VALUES (11, -42)"), "");
  EXPECT_EQ(scalar("SELECT slug || '|' || name FROM orgs WHERE id = -42"), "orgqec|Org -42");
  run(filled);
  EXPECT_EQ(scalar("SELECT org_id FROM stores WHERE id = 10"), "42");
}

// An INSERT trigger on the existing tenants table whose function the application role owns: the
// application could replace the function, and tenantshift's own inserts into orgs (the default
// tenant, the backfill, its trigger for a new org_no the application writes) would run it with
// tenantshift's privileges. Refused by name before any change; once the function belongs to a
// role the application is not a member of, the run goes ahead and the application cannot
// replace it.
TEST_F(Correctness, AnInsertTriggerOnTheTenantsTableTheApplicationCouldReplaceIsRefused) {
  grantApp();
  const std::string app = plan::quoteIdent(role_);
  sql("CREATE FUNCTION orgs_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; "
      "END $$; CREATE TRIGGER orgs_touch BEFORE INSERT ON orgs FOR EACH ROW EXECUTE FUNCTION "
      "orgs_touch(); ALTER FUNCTION orgs_touch() OWNER TO " +
      app);
  try {
    run(migration(), plan::Phase::Schema);
    FAIL() << "a trigger function the application owns on the tenants table was accepted";
  } catch (const api::SpecError& error) {
    EXPECT_EQ(error.field(), "spec.tenant.table") << error.what();
    const std::string message = error.what();
    EXPECT_NE(message.find("'orgs_touch', whose function public.orgs_touch() is owned by " + role_),
              std::string::npos)
        << message;
  }
  expectNothingChanged();
  // A disabled trigger never runs: no reason to refuse.
  sql("ALTER TABLE orgs DISABLE TRIGGER orgs_touch");
  run(migration(), plan::Phase::Schema);
  sql("ALTER TABLE orgs ENABLE TRIGGER orgs_touch; ALTER FUNCTION orgs_touch() OWNER TO "
      "CURRENT_USER");
  run(migration(), plan::Phase::Schema);
  EXPECT_NE(asApp("CREATE OR REPLACE FUNCTION orgs_touch() RETURNS trigger LANGUAGE plpgsql AS "
                  "$$ BEGIN RETURN NEW; END $$"),
            "");
  EXPECT_EQ(asApp("INSERT INTO stores VALUES (12, 77)"), "");
  EXPECT_EQ(scalar("SELECT count(*) FROM orgs WHERE id = 77"), "1");
}

// Issue 6.8: a new tenant whose generated slug another tenant already holds still gets its row
// (the tenants row is never skipped, so the tenant foreign key never refuses the application).
TEST_F(Correctness, ANewTenantWhoseSlugIsTakenStillGetsItsRow) {
  sql("INSERT INTO orgs VALUES (5, '42', 'Five', 'basic')");
  grantApp();
  run(migration(), plan::Phase::Schema);
  EXPECT_EQ(asApp("INSERT INTO stores VALUES (10, 42)"), "");
  EXPECT_EQ(scalar("SELECT slug <> '42' AND length(slug) <= 8 AND slug ~ '^[a-z0-9-]+$' FROM orgs "
                   "WHERE id = 42"),
            "t");
  EXPECT_EQ(scalar("SELECT slug FROM orgs WHERE id = 5"), "42");
}

// Two sessions of the application insert rows with the same new tenant value at once: the
// second waits for the first's tenants row instead of failing on it, and takes it when the first
// commits; when the first rolls back, the second creates the row itself. Either way both inserts
// succeed and the value has exactly one tenants row.
TEST_F(Correctness, TwoSessionsCreatingTheSameNewTenantRowAtOnceBothSucceed) {
  grantApp();
  run(migration(), plan::Phase::Schema);
  for (const bool firstCommits : {true, false}) {
    SCOPED_TRACE(firstCommits ? "the first session commits" : "the first session rolls back");
    const std::string org = firstCommits ? "77" : "78";
    const std::string firstStore = firstCommits ? "20" : "30";
    const std::string secondStore = firstCommits ? "21" : "31";
    pqxx::connection firstConnection(url_);
    pqxx::work first(firstConnection);
    first.exec("SET LOCAL ROLE " + plan::quoteIdent(role_));
    first.exec("INSERT INTO stores VALUES (" + firstStore + ", " + org + ")");
    std::string second = "not run";
    std::thread other(
        [&] { second = asApp("INSERT INTO stores VALUES (" + secondStore + ", " + org + ")"); });
    const bool waited = awaitTrue(
        "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database() AND "
        "wait_event_type = 'Lock' AND pid <> " +
        std::to_string(firstConnection.backendpid()) + ")");
    if (firstCommits) {
      first.commit();
    } else {
      first.abort();
    }
    other.join();
    EXPECT_TRUE(waited) << "the second insert did not wait for the first's tenants row";
    EXPECT_EQ(second, "") << "the second insert failed";
    EXPECT_EQ(scalar("SELECT count(*) FROM orgs WHERE id = " + org), "1");
    EXPECT_EQ(scalar("SELECT org_id FROM stores WHERE id = " + secondStore), org);
    EXPECT_EQ(scalar("SELECT count(*) FROM stores WHERE id = " + firstStore),
              firstCommits ? "1" : "0");
  }
}

// The backfill runs with session_replication_role = replica (no foreign-key checks): a customer
// moving to another tenant in a transaction still open while its orders are backfilled must not
// leave them the customer's old tenant. The batch waits for the move and takes the new tenant.
TEST_F(Correctness, TheBackfillWaitsForAParentMovingToAnotherTenantAndTakesItsNewTenant) {
  ASSERT_NO_FATAL_FAILURE(schemaPhaseWithCustomersFilled());
  pqxx::connection mover(url_);
  pqxx::work move(mover);
  move.exec("SET LOCAL ROLE " + plan::quoteIdent(role_));
  move.exec("UPDATE customers SET store_id = 1 WHERE id = 2");  // store 1 is org 2's
  ASSERT_EQ(move.exec1("SELECT org_id FROM customers WHERE id = 2")[0].as<std::string>(), "2");

  std::exception_ptr failure;
  std::thread backfill([&] {
    try {
      run(migration(), plan::Phase::Backfill);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  // The first batch that reads customer 2 (of notes or orders, whichever the backfill reaches
  // first) waits for the move.
  const bool waited = awaitTrue(
      "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database() AND "
      "wait_event_type = 'Lock' AND pid <> " +
      std::to_string(mover.backendpid()) + ")");
  move.commit();
  backfill.join();
  EXPECT_TRUE(waited) << "no backfill batch waited for the customer's move";
  if (failure) {
    std::rethrow_exception(failure);
  }
  for (const std::string table : {"orders", "notes"}) {
    EXPECT_EQ(scalar("SELECT count(*) FROM " + table +
                     " WHERE customer_id = 2 AND org_id IS DISTINCT FROM 2"),
              "0")
        << table << " of the moved customer kept its old tenant";
    EXPECT_GT(std::stoi(scalar("SELECT count(*) FROM " + table + " WHERE customer_id = 2")), 0);
  }
}

// The other order: a batch is running (it holds the parent's tenant-move lock and has written
// the customer's old tenant into its orders, not yet committed) when the application moves the
// customer. The move waits for the batch before the row changes, so that its ON UPDATE CASCADE
// runs after the batch committed and moves those orders too. Without the wait, the cascade
// would not see the batch's rows (still NULL in its snapshot), and they would keep the old tenant.
TEST_F(Correctness, AParentMovingWhileABatchRunsWaitsForItAndItsCascadeMovesTheBatchsRows) {
  ASSERT_NO_FATAL_FAILURE(schemaPhaseWithCustomersFilled());
  Engine planner(url_, migration(), observer_);
  const plan::Plan plan = planner.plan();
  const plan::Step* backfill = plan.findStep("backfill/orders");
  ASSERT_NE(backfill, nullptr);
  ASSERT_TRUE(backfill->backfill->parentMoveLock.has_value());

  // What a batch of the runner does, up to its commit: the lock, then the orders filled from
  // their customers as they are now, with session_replication_role = replica.
  pqxx::connection batchConnection(url_);
  pqxx::work batch(batchConnection);
  batch.exec("SET LOCAL session_replication_role = replica");
  batch.exec_params("SELECT pg_catalog.pg_advisory_xact_lock($1::int4, $2::int4)",
                    plan::kTenantMoveLockClass, *backfill->backfill->parentMoveLock);
  batch.exec("UPDATE orders o SET org_id = c.org_id FROM customers c WHERE c.id = o.customer_id");

  // An update that keeps the customer's tenant does not wait for the batch.
  EXPECT_EQ(asApp("UPDATE customers SET email = 'kept@x' WHERE id = 2"), "");

  std::string moved = "not run";
  std::thread move([&] { moved = asApp("UPDATE customers SET store_id = 1 WHERE id = 2"); });
  const bool waited = awaitTrue(
      "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database() AND "
      "wait_event_type = 'Lock' AND wait_event = 'advisory')");
  batch.commit();
  move.join();
  EXPECT_TRUE(waited) << "the move did not wait for the running batch";
  EXPECT_EQ(moved, "");
  EXPECT_EQ(scalar("SELECT org_id FROM customers WHERE id = 2"), "2");
  EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE customer_id = 2 AND org_id IS DISTINCT "
                   "FROM 2"),
            "0")
      << "orders the batch filled kept the moved customer's old tenant";
  EXPECT_GT(std::stoi(scalar("SELECT count(*) FROM orders WHERE customer_id = 2")), 0);
}

// Issue 6 ("nothing the application relies on may break"): a foreign key that is not a row's
// tenant source becomes tenant-consistent only after the flag, so the unchanged application can
// still move a referenced item to another branch; the flag phase's validation then names the key
// and the crossTenantRefs line that accepts it.
TEST_F(Correctness, MovingAReferencedRowToAnotherTenantWorksUntilTheFlag) {
  sql("CREATE TABLE items (id integer PRIMARY KEY, store_id integer NOT NULL REFERENCES stores);"
      "INSERT INTO items VALUES (1, 1), (2, 3);"
      // loans derive their tenant from the customer (by name, before the item).
      "CREATE TABLE loans (id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES "
      "  customers, item_id integer NOT NULL REFERENCES items);"
      // Customer 1 is of store 2 (org 2), item 1 of store 1 (org 2).
      "INSERT INTO loans (customer_id, item_id) VALUES (1, 1);");
  grantApp();
  run(migration(), plan::Phase::Verify);
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                   "'loans_item_id_fkey'"),
            "FOREIGN KEY (item_id) REFERENCES items(id)");
  // The old application moves item 1 to store 3 (org 3): the loan now references another org's
  // item.
  EXPECT_EQ(asApp("UPDATE items SET store_id = 3 WHERE id = 1"), "");
  EXPECT_EQ(scalar("SELECT org_id FROM items WHERE id = 1"), "3");
  try {
    run(migration());
    FAIL() << "a cross-tenant reference was validated in the flag phase";
  } catch (const EngineError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("loans_item_id_fkey"), std::string::npos) << message;
    EXPECT_NE(message.find("crossTenantRefs"), std::string::npos) << message;
  }
  // Back in its org, the flag phase goes on and the key is tenant-consistent.
  sql("UPDATE items SET store_id = 1 WHERE id = 1");
  run(migration());
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                   "'loans_item_id_fkey'"),
            "FOREIGN KEY (org_id, item_id) REFERENCES items(org_id, id)");
  // Rolling the flag back gives the unchanged application its single-column key again.
  Engine engine(url_, migration(), observer_);
  engine.rollback(RollbackScenario::FlagOff, false);
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                   "'loans_item_id_fkey'"),
            "FOREIGN KEY (item_id) REFERENCES items(id)");
  EXPECT_EQ(asApp("UPDATE items SET store_id = 3 WHERE id = 1"), "");
}

// Issue 6.4: a table with three foreign-key paths to tenant tables and no `from`: the plan picks
// by the stated rule (NOT NULL before nullable, then fewer hops), shows each rejected path with
// the rule that decided, and verify checks every one of the three keys.
TEST_F(Correctness, AmongThreeParentsThePlanPicksByTheStatedRuleAndVerifyChecksEveryKey) {
  sql("CREATE TABLE tickets (id serial PRIMARY KEY, store_id integer REFERENCES stores,"
      "  order_id integer NOT NULL REFERENCES orders,"
      "  customer_id integer NOT NULL REFERENCES customers);"
      "INSERT INTO tickets (store_id, order_id, customer_id) SELECT s.id, o.id, c.id FROM orders o"
      "  JOIN customers c ON c.id = o.customer_id JOIN stores s ON s.id = c.store_id"
      "  WHERE o.id <= 30;");
  grantApp();
  Engine planner(url_, migration(), observer_);
  const plan::Plan plan = planner.plan();
  const plan::TableDecision* decision = plan.findDecision("tickets");
  ASSERT_NE(decision, nullptr);
  // stores is nullable (rule 1); orders is 3 hops from a known tenant, customers 2 (rule 3).
  EXPECT_EQ(decision->sourceForeignKey, "tickets_customer_id_fkey");
  EXPECT_EQ(decision->parent, "customers");
  const std::string json = cli::planToJson(plan).dump();
  const std::string text = cli::formatPlan(plan, migration());
  for (const std::string& shown : {json, text}) {
    EXPECT_NE(shown.find("tickets_store_id_fkey to stores: ranks after tickets_customer_id_fkey "
                         "(it is nullable"),
              std::string::npos)
        << shown;
    EXPECT_NE(shown.find("tickets_order_id_fkey to orders: ranks after tickets_customer_id_fkey "
                         "(its path has 3 hops"),
              std::string::npos)
        << shown;
  }
  // Every row gets its customer's tenant, and verify checks each of the three keys, the
  // nullable one too.
  run(migration(), plan::Phase::Rls);
  EXPECT_EQ(scalar("SELECT count(*) FROM tickets t JOIN customers c ON c.id = t.customer_id "
                   "WHERE t.org_id IS DISTINCT FROM c.org_id"),
            "0");
  auto foreignKeyCheck = [](const VerifyReport& report, const std::string& fk) {
    for (const auto& check : report.checks) {
      if (check.check == "data.foreign-key" &&
          check.detail.find(plan::quoteIdent(fk)) != std::string::npos) {
        return check;
      }
    }
    return verify::CheckResult{};
  };
  const VerifyReport clean = planner.verify();
  for (const std::string fk :
       {"tickets_store_id_fkey", "tickets_order_id_fkey", "tickets_customer_id_fkey"}) {
    EXPECT_EQ(foreignKeyCheck(clean, fk).outcome, verify::CheckOutcome::Passed)
        << fk << ": " << foreignKeyCheck(clean, fk).detail;
    EXPECT_EQ(foreignKeyCheck(clean, fk).check, "data.foreign-key") << fk << " not checked";
  }
  // A ticket at a store of another org: verify fails on exactly that key, naming the spec line.
  sql("UPDATE tickets SET store_id = CASE WHEN org_id = 2 THEN 3 ELSE 1 END WHERE id = 1");
  const VerifyReport crossed = planner.verify();
  EXPECT_FALSE(crossed.passed());
  const verify::CheckResult store = foreignKeyCheck(crossed, "tickets_store_id_fkey");
  EXPECT_EQ(store.outcome, verify::CheckOutcome::Failed) << store.detail;
  EXPECT_NE(store.detail.find("crossTenantRefs"), std::string::npos) << store.detail;
  EXPECT_EQ(foreignKeyCheck(crossed, "tickets_customer_id_fkey").outcome,
            verify::CheckOutcome::Passed);
}

// Issue 6.6 on a partitioned table (two levels): a unique constraint rewritten to lead with the
// tenant column stays a constraint of the partitioned table after the flag, DEFERRABLE as it
// was, on every partition (one created later too); flag-off gives the original back.
TEST_F(Correctness, APartitionedTablesUniqueConstraintStaysAConstraint) {
  sql("CREATE TABLE bookings (id integer, at date NOT NULL, customer_id integer NOT NULL "
      "  REFERENCES customers, code text NOT NULL, PRIMARY KEY (id, at),"
      "  CONSTRAINT bookings_code_key UNIQUE (code, at) DEFERRABLE) PARTITION BY RANGE (at);"
      "CREATE TABLE bookings_old PARTITION OF bookings FOR VALUES FROM (MINVALUE) TO "
      "  ('2025-01-01');"
      "CREATE TABLE bookings_new PARTITION OF bookings FOR VALUES FROM ('2025-01-01') TO "
      "  ('2030-01-01') PARTITION BY HASH (at);"
      "CREATE TABLE bookings_new_0 PARTITION OF bookings_new FOR VALUES WITH (MODULUS 2, "
      "  REMAINDER 0);"
      "CREATE TABLE bookings_new_1 PARTITION OF bookings_new FOR VALUES WITH (MODULUS 2, "
      "  REMAINDER 1);"
      "INSERT INTO bookings SELECT g, DATE '2024-06-01' + g * 7, 1 + g % 40, 'B' || g FROM "
      "  generate_series(1, 120) g;");
  grantApp();
  auto constraintOf = [&](const std::string& table) {
    return scalar(
        "SELECT coalesce((SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE "
        "conrelid = '" +
        table + "'::regclass AND conname = 'bookings_code_key'), 'no constraint')");
  };
  run(migration(), plan::Phase::Verify);
  EXPECT_EQ(constraintOf("bookings"), "UNIQUE (code, at) DEFERRABLE");
  run(migration());
  EXPECT_EQ(constraintOf("bookings"), "UNIQUE (org_id, code, at) DEFERRABLE");
  // Every leaf's index is part of it, and a partition created later gets it too.
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid "
                   "WHERE r.relname LIKE 'bookings%' AND c.contype = 'u' AND c.condeferrable AND "
                   "c.conparentid <> 0"),
            "4");  // bookings_old, bookings_new, bookings_new_0, bookings_new_1
  sql("CREATE TABLE bookings_2030 PARTITION OF bookings FOR VALUES FROM ('2030-01-01') TO "
      "(MAXVALUE)");
  EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                   "'bookings_2030'::regclass AND contype = 'u'"),
            "UNIQUE (org_id, code, at) DEFERRABLE");
  sql("DROP TABLE bookings_2030");
  Engine engine(url_, migration(), observer_);
  engine.rollback(RollbackScenario::FlagOff, false);
  EXPECT_EQ(constraintOf("bookings"), "UNIQUE (code, at) DEFERRABLE");
}

}  // namespace
}  // namespace tenantshift::engine
