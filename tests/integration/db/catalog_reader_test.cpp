#include "db/catalog_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/connection.h"
#include "plan/catalog.h"
#include "support/postgres_server.h"

namespace tenantshift::db {
namespace {

using testing::PostgresServer;
using Strings = std::vector<std::string>;

// A schema with every shape the planner has to handle. Roles are cluster-wide, so their names
// carry the test's database name.
constexpr const char* kFixture = R"sql(
CREATE SCHEMA shop;
CREATE SCHEMA other;
CREATE SCHEMA tenantshift;
CREATE TABLE tenantshift.ledger_like (id int PRIMARY KEY);
CREATE TABLE other.regions (id int PRIMARY KEY);

CREATE TABLE shop.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL,
  region_id int REFERENCES other.regions (id),
  name varchar(80) DEFAULT 'anon',
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
  CONSTRAINT customers_email_key UNIQUE (email)
);
ALTER TABLE shop.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop.customers FORCE ROW LEVEL SECURITY;
CREATE POLICY see_all ON shop.customers USING (true);
CREATE POLICY "Insert Own" ON shop.customers FOR INSERT WITH CHECK (true);

CREATE TABLE shop.orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES shop.customers (id),
  code text,
  gone int,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE shop.orders DROP COLUMN gone;
CREATE UNIQUE INDEX orders_open_code ON shop.orders (code) WHERE code IS NOT NULL;
CREATE UNIQUE INDEX orders_customer_lower_code ON shop.orders (customer_id, lower(code));
CREATE INDEX orders_created ON shop.orders (created_at);
CREATE UNIQUE INDEX orders_code_hash_covering ON shop.orders (id) INCLUDE (code);

CREATE TABLE shop."Order Items" (
  order_id bigint NOT NULL,
  line int NOT NULL,
  "user" text,
  "a""b" int DEFAULT 7,
  PRIMARY KEY (order_id, line),
  CONSTRAINT "Items of Order" FOREIGN KEY (order_id) REFERENCES shop.orders (id)
);

CREATE TABLE shop."user" (id uuid PRIMARY KEY, "a""b" text);

CREATE TABLE shop.shipments (
  id bigint PRIMARY KEY,
  item_line int,
  item_order bigint
);
ALTER TABLE shop.shipments ADD CONSTRAINT shipment_item FOREIGN KEY (item_order, item_line)
  REFERENCES shop."Order Items" (order_id, line) NOT VALID;

CREATE TABLE shop.events (
  id bigint NOT NULL,
  at date NOT NULL,
  customer_id bigint NOT NULL REFERENCES shop.customers (id),
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2023 PARTITION OF shop.events
  FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE shop.events_2024 PARTITION OF shop.events
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.event_notes (
  event_id bigint NOT NULL,
  event_at date NOT NULL,
  note text,
  FOREIGN KEY (event_id, event_at) REFERENCES shop.events (id, at)
);

CREATE TABLE shop.logs (message text, order_id bigint REFERENCES shop.orders (id));

CREATE TABLE shop.dupes (id int PRIMARY KEY, v int);
INSERT INTO shop.dupes VALUES (1, 10), (2, 10);

INSERT INTO shop.customers (email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 40) g;
INSERT INTO shop.orders (id, customer_id, code)
  SELECT g, 1 + g % 40, 'O' || g FROM generate_series(1, 250) g;
ANALYZE shop.orders;

CREATE VIEW shop.order_emails AS
  SELECT o.id, c.email FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id;
CREATE VIEW shop.safe_orders WITH (security_invoker = on) AS SELECT * FROM shop.orders;
CREATE VIEW shop.not_invoker WITH (security_invoker = false) AS SELECT * FROM shop.logs;
CREATE VIEW shop.emails_with_users AS
  SELECT e.email, u.id AS user_id FROM shop.order_emails e CROSS JOIN shop."user" u;
CREATE VIEW shop.regions_view AS SELECT * FROM other.regions;
CREATE MATERIALIZED VIEW shop.order_counts AS
  SELECT customer_id, count(*) AS n FROM shop.orders GROUP BY customer_id;
)sql";

struct Fixture {
  std::string url;
  std::string owner;
};

Fixture makeFixture(const std::string& name) {
  auto& server = PostgresServer::shared();
  Fixture fixture;
  fixture.url = server.createDatabase(name);
  std::string database = fixture.url.substr(fixture.url.rfind('/') + 1);
  fixture.owner = database + "_owner";
  server.psql(fixture.url, kFixture);
  server.psql(fixture.url, "CREATE ROLE \"" + fixture.owner + "\";" +
                               "ALTER TABLE shop.orders OWNER TO \"" + fixture.owner + "\";");
  // A failed CREATE UNIQUE INDEX CONCURRENTLY (duplicate values) leaves an INVALID index.
  auto connection = connect(fixture.url);
  pqxx::nontransaction tx(*connection);
  try {
    tx.exec0("CREATE UNIQUE INDEX CONCURRENTLY dupes_v_key ON shop.dupes (v)");
    ADD_FAILURE() << "the concurrent unique index on duplicate data should have failed";
  } catch (const pqxx::sql_error& error) {
    EXPECT_EQ(error.sqlstate(), "23505");
  }
  return fixture;
}

plan::Catalog read(const std::string& url, const std::string& schema = "shop",
                   const std::string& role = "") {
  auto connection = connect(url);
  return readCatalog(*connection, schema, role);
}

const plan::Table& tableOf(const plan::Catalog& catalog, const std::string& name) {
  const plan::Table* table = catalog.findTable(name);
  if (table == nullptr) {
    throw std::runtime_error("table " + name + " missing from the catalog");
  }
  return *table;
}

void expectColumn(const plan::Column& column, const std::string& name, const std::string& type,
                  bool notNull, const std::optional<std::string>& defaultExpr,
                  bool generated = false) {
  SCOPED_TRACE("column " + name);
  EXPECT_EQ(column.name, name);
  EXPECT_EQ(column.type, type);
  EXPECT_EQ(column.notNull, notNull);
  EXPECT_EQ(column.defaultExpr, defaultExpr);
  EXPECT_EQ(column.generated, generated);
}

void expectForeignKey(const plan::ForeignKey& fk, const std::string& name, const Strings& columns,
                      const std::string& referencedTable, const Strings& referencedColumns,
                      bool validated = true) {
  SCOPED_TRACE("foreign key " + name);
  EXPECT_EQ(fk.name, name);
  EXPECT_EQ(fk.columns, columns);
  EXPECT_EQ(fk.referencedTable, referencedTable);
  EXPECT_EQ(fk.referencedColumns, referencedColumns);
  EXPECT_EQ(fk.validated, validated);
}

// The expected unique key, named like its index, with PostgreSQL's defaults unless set.
class ExpectedKey {
 public:
  ExpectedKey(std::string name, Strings columns) {
    key_.name = name;
    key_.indexName = std::move(name);
    key_.columns = std::move(columns);
  }
  ExpectedKey& primary() {
    key_.primary = true;
    return constraint();
  }
  ExpectedKey& constraint() {
    key_.constraint = true;
    return *this;
  }
  ExpectedKey& expressions() {
    key_.hasExpressions = true;
    return *this;
  }
  ExpectedKey& predicate(std::string predicate) {
    key_.predicate = std::move(predicate);
    return *this;
  }
  ExpectedKey& referencedBy(Strings names) {
    key_.referencedBy = std::move(names);
    return *this;
  }
  const plan::UniqueKey& key() const { return key_; }

 private:
  plan::UniqueKey key_;
};

void expectUniqueKey(const plan::UniqueKey& key, const ExpectedKey& expectedKey) {
  const plan::UniqueKey& expected = expectedKey.key();
  SCOPED_TRACE("unique key " + expected.name);
  EXPECT_EQ(key.name, expected.name);
  EXPECT_EQ(key.indexName, expected.indexName);
  EXPECT_EQ(key.columns, expected.columns);
  EXPECT_EQ(key.primary, expected.primary);
  EXPECT_EQ(key.constraint, expected.constraint);
  EXPECT_EQ(key.hasExpressions, expected.hasExpressions);
  EXPECT_EQ(key.predicate, expected.predicate);
  EXPECT_EQ(key.method, "btree");
  EXPECT_EQ(key.referencedBy, expected.referencedBy);
}

void expectIndex(const plan::Index& index, const std::string& name, const Strings& columns,
                 bool unique, bool valid, const std::string& definition) {
  SCOPED_TRACE("index " + name);
  EXPECT_EQ(index.name, name);
  EXPECT_EQ(index.columns, columns);
  EXPECT_EQ(index.unique, unique);
  EXPECT_EQ(index.valid, valid);
  EXPECT_EQ(index.definition, definition);
}

Strings tableNames(const plan::Catalog& catalog) {
  Strings names;
  for (const auto& table : catalog.tables) {
    names.push_back(table.name);
  }
  return names;
}

class CatalogReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new Fixture(makeFixture("catalog"));
    catalog_ = new plan::Catalog(read(fixture_->url));
  }
  static void TearDownTestSuite() {
    delete catalog_;
    delete fixture_;
  }
  static Fixture* fixture_;
  static plan::Catalog* catalog_;
};

Fixture* CatalogReaderTest::fixture_ = nullptr;
plan::Catalog* CatalogReaderTest::catalog_ = nullptr;

TEST_F(CatalogReaderTest, ListsOrdinaryAndPartitionedTablesOfTheSchemaSortedByName) {
  EXPECT_EQ(catalog_->schema, "shop");
  EXPECT_GE(catalog_->serverVersion, 150000);
  EXPECT_EQ(tableNames(*catalog_),
            (Strings{"Order Items", "customers", "dupes", "event_notes", "events", "events_2023",
                     "events_2024", "logs", "orders", "shipments", "user"}));
}

TEST_F(CatalogReaderTest, ReadsColumnsInOrderWithoutDroppedOnes) {
  const auto& customers = tableOf(*catalog_, "customers");
  ASSERT_EQ(customers.columns.size(), 5u);
  expectColumn(customers.columns[0], "id", "bigint", true, std::nullopt);
  expectColumn(customers.columns[1], "email", "text", true, std::nullopt);
  expectColumn(customers.columns[2], "region_id", "integer", false, std::nullopt);
  expectColumn(customers.columns[3], "name", "character varying(80)", false,
               "'anon'::character varying");
  expectColumn(customers.columns[4], "name_upper", "text", false, std::nullopt, true);

  const auto& orders = tableOf(*catalog_, "orders");
  ASSERT_EQ(orders.columns.size(), 4u);
  expectColumn(orders.columns[0], "id", "bigint", true, std::nullopt);
  expectColumn(orders.columns[1], "customer_id", "bigint", true, std::nullopt);
  expectColumn(orders.columns[2], "code", "text", false, std::nullopt);
  expectColumn(orders.columns[3], "created_at", "timestamp with time zone", true, "now()");

  const auto& items = tableOf(*catalog_, "Order Items");
  ASSERT_EQ(items.columns.size(), 4u);
  expectColumn(items.columns[0], "order_id", "bigint", true, std::nullopt);
  expectColumn(items.columns[1], "line", "integer", true, std::nullopt);
  expectColumn(items.columns[2], "user", "text", false, std::nullopt);
  expectColumn(items.columns[3], "a\"b", "integer", false, "7");
  EXPECT_NE(items.findColumn("a\"b"), nullptr);

  const auto& user = tableOf(*catalog_, "user");
  ASSERT_EQ(user.columns.size(), 2u);
  expectColumn(user.columns[0], "id", "uuid", true, std::nullopt);
  expectColumn(user.columns[1], "a\"b", "text", false, std::nullopt);
  EXPECT_EQ(user.primaryKey, Strings{"id"});
}

TEST_F(CatalogReaderTest, ReadsOwnersRowSecurityPoliciesAndRowEstimates) {
  const auto& customers = tableOf(*catalog_, "customers");
  EXPECT_EQ(customers.owner, "postgres");
  EXPECT_TRUE(customers.rowSecurity);
  EXPECT_TRUE(customers.forceRowSecurity);
  EXPECT_EQ(customers.policies, (Strings{"Insert Own", "see_all"}));
  EXPECT_EQ(customers.estimatedRows, 0) << "never analyzed: reltuples is -1";

  const auto& orders = tableOf(*catalog_, "orders");
  EXPECT_EQ(orders.owner, fixture_->owner);
  EXPECT_FALSE(orders.rowSecurity);
  EXPECT_FALSE(orders.forceRowSecurity);
  EXPECT_TRUE(orders.policies.empty());
  EXPECT_EQ(orders.estimatedRows, 250);
  EXPECT_FALSE(orders.partitioned);
  EXPECT_FALSE(orders.partitionOf.has_value());
}

TEST_F(CatalogReaderTest, ReadsPrimaryKeysInKeyOrder) {
  EXPECT_EQ(tableOf(*catalog_, "customers").primaryKey, Strings{"id"});
  EXPECT_EQ(tableOf(*catalog_, "Order Items").primaryKey, (Strings{"order_id", "line"}));
  EXPECT_EQ(tableOf(*catalog_, "events").primaryKey, (Strings{"id", "at"}));
  EXPECT_EQ(tableOf(*catalog_, "events_2023").primaryKey, (Strings{"id", "at"}));
  EXPECT_TRUE(tableOf(*catalog_, "logs").primaryKey.empty());
  EXPECT_TRUE(tableOf(*catalog_, "logs").uniqueKeys.empty());
}

TEST_F(CatalogReaderTest, ReadsForeignKeysIncludingCompositeNotValidAndOtherSchemas) {
  const auto& customers = tableOf(*catalog_, "customers");
  ASSERT_EQ(customers.foreignKeys.size(), 1u);
  expectForeignKey(customers.foreignKeys[0], "customers_region_id_fkey", {"region_id"},
                   "other.regions", {"id"});

  const auto& orders = tableOf(*catalog_, "orders");
  ASSERT_EQ(orders.foreignKeys.size(), 1u);
  expectForeignKey(orders.foreignKeys[0], "orders_customer_id_fkey", {"customer_id"}, "customers",
                   {"id"});

  const auto& items = tableOf(*catalog_, "Order Items");
  ASSERT_EQ(items.foreignKeys.size(), 1u);
  expectForeignKey(items.foreignKeys[0], "Items of Order", {"order_id"}, "orders", {"id"});

  const auto& shipments = tableOf(*catalog_, "shipments");
  ASSERT_EQ(shipments.foreignKeys.size(), 1u);
  expectForeignKey(shipments.foreignKeys[0], "shipment_item", {"item_order", "item_line"},
                   "Order Items", {"order_id", "line"}, false);

  const auto& logs = tableOf(*catalog_, "logs");
  ASSERT_EQ(logs.foreignKeys.size(), 1u);
  expectForeignKey(logs.foreignKeys[0], "logs_order_id_fkey", {"order_id"}, "orders", {"id"});
  EXPECT_FALSE(logs.columns[1].notNull);
}

TEST_F(CatalogReaderTest, ReadsPartitionedTablesTheirPartitionsAndForeignKeys) {
  const auto& events = tableOf(*catalog_, "events");
  EXPECT_TRUE(events.partitioned);
  EXPECT_FALSE(events.partitionOf.has_value());
  EXPECT_EQ(events.estimatedRows, 0);
  ASSERT_EQ(events.foreignKeys.size(), 1u);
  expectForeignKey(events.foreignKeys[0], "events_customer_id_fkey", {"customer_id"}, "customers",
                   {"id"});
  ASSERT_EQ(events.uniqueKeys.size(), 1u);
  expectUniqueKey(events.uniqueKeys[0], ExpectedKey("events_pkey", {"id", "at"})
                                            .primary()
                                            .referencedBy({"event_notes_event_id_event_at_fkey"}));

  for (const std::string name : {"events_2023", "events_2024"}) {
    SCOPED_TRACE(name);
    const auto& partition = tableOf(*catalog_, name);
    EXPECT_FALSE(partition.partitioned);
    EXPECT_EQ(partition.partitionOf, std::optional<std::string>("events"));
    ASSERT_EQ(partition.columns.size(), 3u);
    expectColumn(partition.columns[2], "customer_id", "bigint", true, std::nullopt);
    // The partition's copy of its parent's foreign key constrains the partition.
    ASSERT_EQ(partition.foreignKeys.size(), 1u);
    expectForeignKey(partition.foreignKeys[0], "events_customer_id_fkey", {"customer_id"},
                     "customers", {"id"});
    ASSERT_EQ(partition.uniqueKeys.size(), 1u);
    expectUniqueKey(partition.uniqueKeys[0], ExpectedKey(name + "_pkey", {"id", "at"}).primary());
  }

  // PostgreSQL clones a foreign key to a partitioned table once per partition; only the
  // declared one is reported.
  const auto& notes = tableOf(*catalog_, "event_notes");
  ASSERT_EQ(notes.foreignKeys.size(), 1u);
  expectForeignKey(notes.foreignKeys[0], "event_notes_event_id_event_at_fkey",
                   {"event_id", "event_at"}, "events", {"id", "at"});
}

TEST_F(CatalogReaderTest, ReadsPrimaryKeysUniqueConstraintsAndUniqueIndexes) {
  const auto& customers = tableOf(*catalog_, "customers");
  ASSERT_EQ(customers.uniqueKeys.size(), 2u);
  expectUniqueKey(customers.uniqueKeys[0],
                  ExpectedKey("customers_pkey", {"id"})
                      .primary()
                      .referencedBy({"events_customer_id_fkey", "orders_customer_id_fkey"}));
  expectUniqueKey(customers.uniqueKeys[1],
                  ExpectedKey("customers_email_key", {"email"}).constraint());

  const auto& orders = tableOf(*catalog_, "orders");
  ASSERT_EQ(orders.uniqueKeys.size(), 4u);
  expectUniqueKey(orders.uniqueKeys[0],
                  ExpectedKey("orders_pkey", {"id"})
                      .primary()
                      .referencedBy({"Items of Order", "logs_order_id_fkey"}));
  // INCLUDE columns are no part of the key.
  expectUniqueKey(orders.uniqueKeys[1], ExpectedKey("orders_code_hash_covering", {"id"}));
  expectUniqueKey(orders.uniqueKeys[2],
                  ExpectedKey("orders_customer_lower_code", {"customer_id", ""}).expressions());
  expectUniqueKey(orders.uniqueKeys[3],
                  ExpectedKey("orders_open_code", {"code"}).predicate("(code IS NOT NULL)"));

  const auto& items = tableOf(*catalog_, "Order Items");
  ASSERT_EQ(items.uniqueKeys.size(), 1u);
  expectUniqueKey(items.uniqueKeys[0], ExpectedKey("Order Items_pkey", {"order_id", "line"})
                                           .primary()
                                           .referencedBy({"shipment_item"}));
}

TEST_F(CatalogReaderTest, ReadsAllIndexesWithValidityAndDefinitions) {
  const auto& orders = tableOf(*catalog_, "orders");
  ASSERT_EQ(orders.indexes.size(), 5u);
  expectIndex(orders.indexes[0], "orders_code_hash_covering", {"id"}, true, true,
              "CREATE UNIQUE INDEX orders_code_hash_covering ON shop.orders USING btree (id) "
              "INCLUDE (code)");
  expectIndex(orders.indexes[1], "orders_created", {"created_at"}, false, true,
              "CREATE INDEX orders_created ON shop.orders USING btree (created_at)");
  expectIndex(orders.indexes[2], "orders_customer_lower_code", {"customer_id", ""}, true, true,
              "CREATE UNIQUE INDEX orders_customer_lower_code ON shop.orders USING btree "
              "(customer_id, lower(code))");
  expectIndex(orders.indexes[3], "orders_open_code", {"code"}, true, true,
              "CREATE UNIQUE INDEX orders_open_code ON shop.orders USING btree (code) WHERE "
              "(code IS NOT NULL)");
  expectIndex(orders.indexes[4], "orders_pkey", {"id"}, true, true,
              "CREATE UNIQUE INDEX orders_pkey ON shop.orders USING btree (id)");

  const auto& items = tableOf(*catalog_, "Order Items");
  ASSERT_EQ(items.indexes.size(), 1u);
  expectIndex(items.indexes[0], "Order Items_pkey", {"order_id", "line"}, true, true,
              "CREATE UNIQUE INDEX \"Order Items_pkey\" ON shop.\"Order Items\" USING btree "
              "(order_id, line)");

  // The leftover of the failed concurrent build: an index, INVALID, and no unique key.
  const auto& dupes = tableOf(*catalog_, "dupes");
  ASSERT_EQ(dupes.indexes.size(), 2u);
  expectIndex(dupes.indexes[0], "dupes_pkey", {"id"}, true, true,
              "CREATE UNIQUE INDEX dupes_pkey ON shop.dupes USING btree (id)");
  expectIndex(dupes.indexes[1], "dupes_v_key", {"v"}, true, false,
              "CREATE UNIQUE INDEX dupes_v_key ON shop.dupes USING btree (v)");
  ASSERT_EQ(dupes.uniqueKeys.size(), 1u);
  EXPECT_EQ(dupes.uniqueKeys[0].name, "dupes_pkey");
}

TEST_F(CatalogReaderTest, ReadsViewsTheTablesTheyReadDirectlyAndSecurityInvoker) {
  ASSERT_EQ(catalog_->views.size(), 6u);
  struct ExpectedView {
    std::string name;
    Strings tables;
    bool materialized;
    bool securityInvoker;
  };
  const std::vector<ExpectedView> expected = {
      {"emails_with_users", {"user"}, false, false},  // reads order_emails, a view, not its tables
      {"not_invoker", {"logs"}, false, false},
      {"order_counts", {"orders"}, true, false},
      {"order_emails", {"customers", "orders"}, false, false},
      {"regions_view", {}, false, false},  // other schemas are not listed
      {"safe_orders", {"orders"}, false, true},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(catalog_->views[i].name, expected[i].name);
    EXPECT_EQ(catalog_->views[i].tables, expected[i].tables);
    EXPECT_EQ(catalog_->views[i].materialized, expected[i].materialized);
    EXPECT_EQ(catalog_->views[i].securityInvoker, expected[i].securityInvoker);
  }
}

TEST_F(CatalogReaderTest, AppRoleIsAbsentWhenNotRequestedOrMissing) {
  EXPECT_FALSE(catalog_->appRole.has_value());
  EXPECT_FALSE(read(fixture_->url, "shop", "no_such_role_anywhere").appRole.has_value());
}

TEST_F(CatalogReaderTest, JsonRoundTripKeepsEveryField) {
  nlohmann::json original = *catalog_;
  plan::Catalog back = original.get<plan::Catalog>();
  nlohmann::json again = back;
  EXPECT_EQ(original, again);
  EXPECT_EQ(again.at("tables").size(), catalog_->tables.size());
  EXPECT_EQ(back.findTable("events_2023")->partitionOf, std::optional<std::string>("events"));
  EXPECT_EQ(back.findTable("customers")->columns[3].defaultExpr,
            std::optional<std::string>("'anon'::character varying"));
}

TEST(CatalogReader, ReadsTheAppRoleAttributes) {
  auto& server = PostgresServer::shared();
  std::string url = server.createDatabase("catalog_roles");
  std::string suffix = url.substr(url.rfind('/') + 1);
  std::string plain = suffix + "_app";
  std::string bypass = suffix + "_bypass";
  std::string super = suffix + "_super";
  server.psql(url, "CREATE ROLE \"" + plain + "\" LOGIN; CREATE ROLE \"" + bypass +
                       "\" BYPASSRLS; CREATE ROLE \"" + super + "\" SUPERUSER;");

  auto app = read(url, "public", plain).appRole;
  ASSERT_TRUE(app.has_value());
  EXPECT_EQ(app->name, plain);
  EXPECT_FALSE(app->superuser);
  EXPECT_FALSE(app->bypassRls);

  auto bypassing = read(url, "public", bypass).appRole;
  ASSERT_TRUE(bypassing.has_value());
  EXPECT_FALSE(bypassing->superuser);
  EXPECT_TRUE(bypassing->bypassRls);

  auto superuser = read(url, "public", super).appRole;
  ASSERT_TRUE(superuser.has_value());
  EXPECT_TRUE(superuser->superuser);
  // The attribute as stored: a superuser bypasses RLS without it, which the verifier checks.
  EXPECT_FALSE(superuser->bypassRls);
}

TEST(CatalogReader, AnEmptySchemaHasNoTablesAndNoViews) {
  auto& server = PostgresServer::shared();
  std::string url = server.createDatabase("catalog_empty");
  server.psql(url, "CREATE SCHEMA empty; CREATE TABLE public.elsewhere (id int);");
  auto catalog = read(url, "empty");
  EXPECT_EQ(catalog.schema, "empty");
  EXPECT_TRUE(catalog.tables.empty());
  EXPECT_TRUE(catalog.views.empty());
}

TEST(CatalogReader, AMissingSchemaIsAClearError) {
  auto& server = PostgresServer::shared();
  std::string url = server.createDatabase("catalog_missing");
  try {
    read(url, "nope");
    FAIL() << "reading a missing schema should throw";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("schema \"nope\" does not exist"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("spec.database.schema"), std::string::npos);
  }
}

TEST(CatalogReader, RefusesTheLedgerSchema) {
  auto& server = PostgresServer::shared();
  std::string url = server.createDatabase("catalog_ledger");
  server.psql(url, "CREATE SCHEMA tenantshift; CREATE TABLE tenantshift.steps (id int);");
  EXPECT_THROW(read(url, "tenantshift"), std::invalid_argument);
}

TEST(CatalogReader, ReadsMixedCaseAndQuotedSchemaNames) {
  auto& server = PostgresServer::shared();
  std::string url = server.createDatabase("catalog_quoted");
  server.psql(url,
              "CREATE SCHEMA \"My \"\"Shop\"\"\";"
              "CREATE TABLE \"My \"\"Shop\"\"\".\"Select\" (\"ID\" int PRIMARY KEY);"
              "CREATE TABLE \"My \"\"Shop\"\"\".child (id int PRIMARY KEY,"
              "  parent int REFERENCES \"My \"\"Shop\"\"\".\"Select\" (\"ID\"));");
  auto catalog = read(url, "My \"Shop\"");
  EXPECT_EQ(tableNames(catalog), (Strings{"Select", "child"}));
  EXPECT_EQ(tableOf(catalog, "Select").primaryKey, Strings{"ID"});
  ASSERT_EQ(tableOf(catalog, "child").foreignKeys.size(), 1u);
  expectForeignKey(tableOf(catalog, "child").foreignKeys[0], "child_parent_fkey", {"parent"},
                   "Select", {"ID"});
}

}  // namespace
}  // namespace tenantshift::db

namespace tenantshift::db {
namespace {

// What the planner needs to rebuild keys and foreign keys exactly and to fit rows into a real
// tenants table: key definitions with collation, operator class and ordering, INCLUDE, NULLS NOT
// DISTINCT, DEFERRABLE, referential actions, text widths, triggers, partition keys at two levels,
// views over views with their owners and grants, SECURITY DEFINER functions, role membership.
constexpr const char* kShapes = R"sql(
CREATE COLLATION shapes_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE branches (id int PRIMARY KEY, slug varchar(12) NOT NULL UNIQUE, name char(5),
  region text NOT NULL);
CREATE TABLE items (
  id int PRIMARY KEY, code text, email text, phone text, pos int, branch int,
  CONSTRAINT items_phone UNIQUE NULLS NOT DISTINCT (phone),
  CONSTRAINT items_pos UNIQUE (pos) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT items_pos_id UNIQUE (pos, id));
CREATE UNIQUE INDEX items_code_ci ON items (code COLLATE shapes_ci);
CREATE UNIQUE INDEX items_email_ops ON items (email text_pattern_ops DESC) INCLUDE (code)
  WHERE email IS NOT NULL;
CREATE INDEX items_lower ON items (lower(email) NULLS FIRST, (id + 1));
CREATE TABLE lines (id int PRIMARY KEY, item_id int, pos int,
  CONSTRAINT lines_item FOREIGN KEY (item_id) REFERENCES items (id)
    ON DELETE SET NULL (item_id) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT lines_pos FOREIGN KEY (pos, item_id) REFERENCES items (pos, id) MATCH FULL);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER lines_touch BEFORE UPDATE ON lines FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER lines_always AFTER INSERT ON lines FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE lines ENABLE ALWAYS TRIGGER lines_always;
-- tenantshift's own triggers, as its schema phase names them: not the application's.
CREATE TRIGGER tenantshift_tenant BEFORE INSERT ON lines FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER tenantshift_tenant_move BEFORE UPDATE ON lines FOR EACH ROW
  EXECUTE FUNCTION touch();
CREATE TABLE pay (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE pay_old PARTITION OF pay FOR VALUES FROM (MINVALUE) TO ('2025-01-01');
CREATE TABLE pay_new PARTITION OF pay FOR VALUES FROM ('2025-01-01') TO (MAXVALUE)
  PARTITION BY HASH (id);
CREATE TABLE pay_new_0 PARTITION OF pay_new FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE pay_new_1 PARTITION OF pay_new FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE VIEW item_list AS SELECT id, code FROM items;
CREATE VIEW item_codes AS SELECT code FROM item_list;
CREATE MATERIALIZED VIEW item_counts AS SELECT count(*) AS n FROM items;
CREATE FUNCTION item_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT count(*) FROM items $$;
CREATE FUNCTION item_named(p_id integer, p_code text) RETURNS text LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT code FROM items WHERE id = p_id $$;
CREATE FUNCTION trigger_definer() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  AS $$ BEGIN RETURN NEW; END $$;
REVOKE EXECUTE ON FUNCTION item_named(integer, text) FROM PUBLIC;
)sql";

TEST(CatalogReader, ReadsWhatRebuildingKeysAndFittingRowsNeeds) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("catalog_shapes");
  const std::string database = url.substr(url.rfind('/') + 1);
  const std::string app = database + "_app";
  const std::string group = database + "_group";
  server.psql(url, kShapes);
  server.psql(url, "CREATE ROLE \"" + group + "\"; CREATE ROLE \"" + app + "\" LOGIN IN ROLE \"" +
                       group + "\"; GRANT SELECT, INSERT ON items TO \"" + app +
                       "\"; GRANT SELECT ON item_list TO PUBLIC; GRANT UPDATE ON items TO \"" +
                       group + "\"; GRANT SELECT ON item_counts TO \"" + app + "\";");
  const plan::Catalog catalog = read(url, "public", app);

  const plan::Table& branches = tableOf(catalog, "branches");
  EXPECT_EQ(branches.findColumn("slug")->maxLength, 12);
  EXPECT_TRUE(branches.findColumn("slug")->textLike);
  EXPECT_EQ(branches.findColumn("name")->maxLength, 5);
  EXPECT_EQ(branches.findColumn("region")->maxLength, 0);
  EXPECT_FALSE(branches.findColumn("id")->textLike);

  const plan::Table& items = tableOf(catalog, "items");
  auto key = [&](const std::string& name) -> const plan::UniqueKey& {
    for (const auto& k : items.uniqueKeys) {
      if (k.name == name) {
        return k;
      }
    }
    throw std::runtime_error("no unique key " + name);
  };
  EXPECT_EQ(key("items_code_ci").keyDefinitions, Strings{"code COLLATE public.shapes_ci"});
  EXPECT_EQ(key("items_email_ops").keyDefinitions,
            Strings{"email pg_catalog.text_pattern_ops DESC"});
  EXPECT_EQ(key("items_email_ops").includeColumns, Strings{"code"});
  EXPECT_EQ(key("items_email_ops").predicate, "(email IS NOT NULL)");
  EXPECT_TRUE(key("items_phone").nullsNotDistinct);
  EXPECT_FALSE(key("items_code_ci").nullsNotDistinct);
  EXPECT_TRUE(key("items_pos").deferrable);
  EXPECT_TRUE(key("items_pos").initiallyDeferred);
  EXPECT_FALSE(key("items_phone").deferrable);
  const plan::Index* lower = items.findIndex("items_lower");
  ASSERT_NE(lower, nullptr);
  EXPECT_EQ(lower->keyDefinitions, (Strings{"lower(email) NULLS FIRST", "((id + 1))"}));
  EXPECT_EQ(lower->columns, (Strings{"", ""}));
  EXPECT_EQ(lower->method, "btree");
  EXPECT_TRUE(items.findIndex("items_pkey")->primary);
  EXPECT_EQ(items.findIndex("items_pkey")->constraint, "items_pkey");
  EXPECT_EQ(items.findIndex("items_code_ci")->constraint, "");
  EXPECT_EQ(items.appPrivileges.effective, (Strings{"SELECT", "INSERT", "UPDATE"}));
  EXPECT_EQ(items.appPrivileges.direct, (Strings{"INSERT", "SELECT"}));
  EXPECT_TRUE(items.appPrivileges.viaPublic.empty());
  EXPECT_TRUE(items.appCan("UPDATE"));
  EXPECT_FALSE(items.appCan("DELETE"));

  const plan::Table& lines = tableOf(catalog, "lines");
  const plan::ForeignKey* item = lines.findForeignKey("lines_item");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->onDelete, "SET NULL");
  EXPECT_EQ(item->onDeleteColumns, Strings{"item_id"});
  EXPECT_EQ(item->onUpdate, "CASCADE");
  EXPECT_TRUE(item->deferrable);
  EXPECT_TRUE(item->initiallyDeferred);
  EXPECT_FALSE(item->matchFull);
  EXPECT_EQ(item->referencedIndex, "items_pkey");
  EXPECT_EQ(item->definition,
            "FOREIGN KEY (item_id) REFERENCES public.items(id) ON UPDATE CASCADE ON DELETE SET "
            "NULL (item_id) DEFERRABLE INITIALLY DEFERRED");
  const plan::ForeignKey* pos = lines.findForeignKey("lines_pos");
  ASSERT_NE(pos, nullptr);
  EXPECT_TRUE(pos->matchFull);
  EXPECT_EQ(pos->onDelete, "NO ACTION");
  EXPECT_TRUE(pos->onDeleteColumns.empty());
  ASSERT_EQ(lines.triggers.size(), 2u) << "tenantshift's own triggers are not the application's";
  EXPECT_EQ(lines.triggers[0].name, "lines_always");
  EXPECT_EQ(lines.triggers[0].enabled, 'A');
  EXPECT_EQ(lines.triggers[1].name, "lines_touch");
  EXPECT_EQ(lines.triggers[1].enabled, 'O');
  // Which fire for INSERT, and their function, named with its schema, and its owner.
  EXPECT_TRUE(lines.triggers[0].onInsert);
  EXPECT_FALSE(lines.triggers[1].onInsert);
  EXPECT_EQ(lines.triggers[1].function, "public.touch()");
  EXPECT_FALSE(lines.triggers[1].functionOwner.empty());

  EXPECT_EQ(tableOf(catalog, "pay").partitionKey, Strings{"at"});
  EXPECT_EQ(tableOf(catalog, "pay_new").partitionKey, Strings{"id"});
  std::vector<std::string> partitions;
  for (const plan::Table* partition : catalog.partitionsOf("pay")) {
    partitions.push_back(partition->name);
  }
  EXPECT_EQ(partitions, (Strings{"pay_new", "pay_new_0", "pay_new_1", "pay_old"}));

  const plan::View* list = catalog.findView("item_list");
  const plan::View* codes = catalog.findView("item_codes");
  const plan::View* counts = catalog.findView("item_counts");
  ASSERT_TRUE(list && codes && counts);
  EXPECT_EQ(list->tables, Strings{"items"});
  EXPECT_EQ(codes->tables, Strings{});
  EXPECT_EQ(codes->views, Strings{"item_list"});
  EXPECT_EQ(list->owner, "postgres");
  EXPECT_TRUE(list->ownerBypassesRls);
  EXPECT_EQ(list->appPrivileges.effective, Strings{"SELECT"});
  EXPECT_EQ(list->appPrivileges.viaPublic, Strings{"SELECT"});
  EXPECT_TRUE(list->appPrivileges.direct.empty());
  EXPECT_EQ(counts->appPrivileges.direct, Strings{"SELECT"});
  EXPECT_TRUE(codes->appPrivileges.effective.empty());

  std::map<std::string, const plan::Function*> functions;
  for (const auto& function : catalog.securityDefinerFunctions) {
    functions[function.signature] = &function;
  }
  ASSERT_EQ(functions.size(), 3u);
  EXPECT_TRUE(functions.at("item_count()")->appCanExecute);
  EXPECT_TRUE(functions.at("item_count()")->ownerBypassesRls);
  EXPECT_FALSE(functions.at("item_named(integer, text)")->appCanExecute);
  EXPECT_EQ(functions.at("item_named(integer, text)")->arguments, "p_id integer, p_code text");
  EXPECT_TRUE(functions.at("trigger_definer()")->returnsTrigger);
  EXPECT_EQ(functions.at("item_count()")->schema, "public");

  ASSERT_TRUE(catalog.appRole);
  EXPECT_EQ(catalog.appRole->memberOf, Strings{group});

  // Every new field survives the ledger's JSON round trip.
  EXPECT_EQ(nlohmann::json(nlohmann::json(catalog).get<plan::Catalog>()), nlohmann::json(catalog));
}

}  // namespace
}  // namespace tenantshift::db
