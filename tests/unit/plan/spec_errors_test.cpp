#include <gtest/gtest.h>

#include <functional>

#include "api/spec_error.h"
#include "catalog_builder.h"
#include "plan/planner.h"

namespace tenantshift::plan {
namespace {

using testing::catalogOf;
using testing::fromColumn;
using testing::fromParent;
using testing::listed;
using testing::specFor;
using testing::TableBuilder;

Catalog baseCatalog() {
  return catalogOf({
      TableBuilder("accounts")
          .id()
          .column("user_id", "bigint", true)
          .column("label", "text", false)
          .foreignKey("accounts_user_id_fkey", {"user_id"}, "users"),
      TableBuilder("users").id().column("store_id", "uuid", false),
      TableBuilder("alembic_version").column("version_num", "text", true),
  });
}

// The SpecError's field when planning fails, or "" when it does not.
std::string errorField(const api::MigrationSpec& spec, const Catalog& catalog = baseCatalog()) {
  try {
    buildPlan(spec, catalog);
  } catch (const api::SpecError& error) {
    EXPECT_NE(std::string(error.what()).find(error.field() + ": "), std::string::npos);
    return error.field();
  }
  return "";
}

TEST(SpecErrors, ValidSpecPlans) {
  EXPECT_EQ(errorField(specFor()), "");
}

TEST(SpecErrors, UnknownTableInTables) {
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{listed("users"), listed("nope")})),
            "spec.tables[1].name");
}

TEST(SpecErrors, UnknownTableInExclude) {
  auto spec = specFor();
  spec.exclude = {"alembic_version", "ghost"};
  EXPECT_EQ(errorField(spec), "spec.exclude[1]");
}

TEST(SpecErrors, TableBothListedAndExcluded) {
  auto spec = specFor(std::vector<api::TableSpec>{listed("users"), listed("accounts")});
  spec.exclude = {"alembic_version", "accounts"};
  EXPECT_EQ(errorField(spec), "spec.exclude[1]");
}

TEST(SpecErrors, DuplicateTable) {
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{listed("users"), listed("users")})),
            "spec.tables[1].name");
}

TEST(SpecErrors, PartitionListedInsteadOfItsParent) {
  Catalog catalog = baseCatalog();
  Table part = TableBuilder("users_1").id();
  part.partitionOf = "users";
  catalog.tables.push_back(part);
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{listed("users_1")}), catalog),
            "spec.tables[0].name");
}

TEST(SpecErrors, UnknownParent) {
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{
                listed("users"), fromParent("accounts", "owners", {"user_id"})})),
            "spec.tables[1].from.parent");
}

TEST(SpecErrors, ParentExcluded) {
  auto spec = specFor(std::vector<api::TableSpec>{fromParent("accounts", "users", {"user_id"})});
  spec.exclude = {"alembic_version", "users"};
  EXPECT_EQ(errorField(spec), "spec.tables[0].from.parent");
}

TEST(SpecErrors, UnlistedParentIsStillConverted) {
  // spec.tables configures the tables it lists; the others are converted too unless excluded.
  auto spec = specFor(std::vector<api::TableSpec>{fromParent("accounts", "users", {"user_id"})});
  EXPECT_EQ(errorField(spec), "");
  auto plan = buildPlan(spec, baseCatalog());
  EXPECT_NE(plan.findStep("schema/add-column/users"), nullptr);
}

TEST(SpecErrors, UnknownViaColumn) {
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{
                listed("users"), fromParent("accounts", "users", {"owner_id"})})),
            "spec.tables[1].from.via[0]");
}

TEST(SpecErrors, ViaColumnsThatAreNoForeignKeyAndDoNotMatchTheKey) {
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{
                listed("users"), fromParent("accounts", "users", {"label"})})),
            "spec.tables[1].from.via");
}

TEST(SpecErrors, UnknownSourceColumn) {
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{fromColumn("users", "shop_id")})),
            "spec.tables[0].from.column");
}

TEST(SpecErrors, SourceColumnTypeMismatch) {
  // users.id is bigint, the tenant id type is uuid.
  EXPECT_EQ(errorField(specFor(std::vector<api::TableSpec>{fromColumn("users", "id")})),
            "spec.tables[0].from.column");
  auto spec = specFor(std::vector<api::TableSpec>{fromColumn("users", "store_id")});
  EXPECT_EQ(errorField(spec), "");
  spec.tenant.idType = api::TenantIdType::Text;
  EXPECT_EQ(errorField(spec), "spec.tables[0].from.column");
}

TEST(SpecErrors, ExplicitDerivationCycle) {
  Catalog catalog = catalogOf({
      TableBuilder("a").id().column("b_id", "bigint", true).foreignKey("a_b", {"b_id"}, "b"),
      TableBuilder("b").id().column("c_id", "bigint", true).foreignKey("b_c", {"c_id"}, "c"),
      TableBuilder("c").id().column("a_id", "bigint", true).foreignKey("c_a", {"a_id"}, "a"),
  });
  auto spec = specFor(std::vector<api::TableSpec>{fromParent("a", "b", {"b_id"}),
                                                  fromParent("b", "c", {"c_id"}),
                                                  fromParent("c", "a", {"a_id"})});
  try {
    buildPlan(spec, catalog);
    FAIL() << "a cycle must be rejected";
  } catch (const api::SpecError& error) {
    EXPECT_EQ(error.field(), "spec.tables[0].from.parent");
    EXPECT_NE(std::string(error.what()).find("derivation cycle: a -> b -> c -> a"),
              std::string::npos)
        << error.what();
  }
}

TEST(SpecErrors, ExistingTenantColumnOfTheWrongType) {
  Catalog catalog = baseCatalog();
  catalog.tables[1].columns.push_back(Column{"tenant_id", "integer", false, std::nullopt, false});
  EXPECT_EQ(errorField(specFor(), catalog), "spec.tenant.idType");
  auto spec = specFor();
  spec.tenant.idType = api::TenantIdType::Bigint;
  spec.tenant.defaultTenant.id = "1";
  EXPECT_EQ(errorField(spec, catalog), "");
}

TEST(SpecErrors, AppRoleMissing) {
  Catalog catalog = baseCatalog();
  catalog.appRole.reset();
  EXPECT_EQ(errorField(specFor(), catalog), "spec.database.appRole");
  auto spec = specFor();
  spec.database.appRole.clear();
  EXPECT_EQ(errorField(spec), "spec.database.appRole");
}

TEST(SpecErrors, AppRoleThatBypassesRowSecurity) {
  Catalog catalog = baseCatalog();
  catalog.appRole->bypassRls = true;
  EXPECT_EQ(errorField(specFor(), catalog), "spec.database.appRole");
}

TEST(SpecErrors, ExistingTenantsTableWithTheWrongKey) {
  Catalog catalog = baseCatalog();
  catalog.tables.push_back(TableBuilder("tenants").id("bigint"));
  EXPECT_EQ(errorField(specFor(), catalog), "spec.tenant.table");
}

TEST(SpecErrors, DefaultTenantThatDoesNotFitTheTenantsTable) {
  Catalog catalog = baseCatalog();
  catalog.tables.push_back(
      TableBuilder("tenants").id("uuid").column("slug", "character varying(4)", true));
  catalog.tables.back().columns.back().maxLength = 4;
  EXPECT_EQ(errorField(specFor(), catalog), "spec.tenant.default.slug");
  auto spec = specFor();
  spec.tenant.defaultTenant.slug = "hq";
  EXPECT_EQ(errorField(spec, catalog), "");
}

TEST(SpecErrors, NothingLeftToConvert) {
  auto spec = specFor();
  spec.exclude = {"accounts", "users", "alembic_version"};
  EXPECT_EQ(errorField(spec), "spec.exclude");
}

}  // namespace
}  // namespace tenantshift::plan
