#include <gtest/gtest.h>

#include "facts_builder.h"
#include "plan/plan.h"
#include "verify/data_checks.h"
#include "verify/foreign_key_checks.h"
#include "verify/setting_checks.h"

namespace tenantshift::verify {
namespace {

TEST(SettingChecks, EveryDefaultIsNamedWithTheStatementThatRemovesIt) {
  SettingFacts facts;
  facts.name = "app.current_tenant_id";
  SettingDefault role;
  role.level = SettingDefault::Level::Role;
  role.role = "app";
  role.value = "t1";
  SettingDefault inDatabase = role;
  inDatabase.level = SettingDefault::Level::RoleInDatabase;
  inDatabase.database = "shop";
  SettingDefault database = inDatabase;
  database.level = SettingDefault::Level::Database;
  SettingDefault all = role;
  all.level = SettingDefault::Level::AllRoles;
  SettingDefault file = role;
  file.level = SettingDefault::Level::ConfigurationFile;
  file.file = "/data/postgresql.auto.conf";
  SettingDefault empty = role;
  empty.value = "";
  facts.defaults = {role, inDatabase, database, all, file, empty};
  const CheckResult check = checkSettingDefaults(facts, "app");
  EXPECT_EQ(check.outcome, CheckOutcome::Failed);
  for (const std::string fix :
       {"ALTER ROLE \"app\" RESET app.current_tenant_id",
        "ALTER ROLE \"app\" IN DATABASE \"shop\" RESET app.current_tenant_id",
        "ALTER DATABASE \"shop\" RESET app.current_tenant_id",
        "ALTER ROLE ALL RESET app.current_tenant_id", "ALTER SYSTEM RESET app.current_tenant_id"}) {
    EXPECT_TRUE(contains(check.detail, fix)) << fix << "\n" << check.detail;
  }
  EXPECT_EQ(effectiveDefaults(facts).size(), 5U);  // '' is no tenant: harmless
}

TEST(SettingChecks, AFreshSessionsValueFromAnUnlistedSourceFails) {
  SettingFacts facts;
  facts.name = "App.Tenant";
  facts.sessionValue = "t9";
  const CheckResult check = checkSettingDefaults(facts, "app");
  EXPECT_EQ(check.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(check.detail, "PGOPTIONS")) << check.detail;
  facts.sessionValue = "";
  EXPECT_EQ(checkSettingDefaults(facts, "app").outcome, CheckOutcome::Passed);
  facts.sessionValue.reset();
  EXPECT_EQ(checkSettingDefaults(facts, "app").outcome, CheckOutcome::Passed);
}

TEST(SettingChecks, VisibilityWithoutATenantDependsOnTheMode) {
  const RelationFacts table = tenantTable("users");
  VisibilityObservation seen;
  seen.ran = true;
  seen.runnerRows = 10;
  seen.appRows = 10;
  auto check = [&](bool strict) {
    return checkVisibility("setting.unset", table, "public", "app.t", "uuid", "never set", seen,
                           strict);
  };
  EXPECT_EQ(check(false).outcome, CheckOutcome::Passed);
  EXPECT_EQ(check(true).outcome, CheckOutcome::Failed);
  seen.appRows = 0;
  EXPECT_EQ(check(true).outcome, CheckOutcome::Passed);
  EXPECT_EQ(check(false).outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(check(false).detail, "sees 0 of 10 rows"));
  seen.appError = "invalid input syntax for type uuid: \"\"";
  EXPECT_EQ(check(true).outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(check(true).detail, "NULLIF"));
  seen.ran = false;
  seen.error = "blocked";
  EXPECT_TRUE(contains(check(true).detail, "isolation not proven"));
  seen = VisibilityObservation();
  seen.ran = true;
  seen.appCanSelect = false;
  EXPECT_EQ(check(true).outcome, CheckOutcome::Passed);
}

DataObservation goodData() {
  DataObservation seen;
  seen.ran = true;
  seen.rows = 6;
  seen.tenants = 2;
  seen.largest = {{"a", 4}, {"b", 2}};
  seen.appProbed = true;
  seen.perTenant = {{"a", 4, 4, ""}, {"b", 2, 2, ""}};
  return seen;
}

TEST(DataChecks, CountsMatchingTheBaselineAndEachTenantPass) {
  auto results = checkData(tenantTable("users"), "public", "tenants", 6, goodData());
  for (const CheckResult& item : results) {
    EXPECT_EQ(item.outcome, CheckOutcome::Passed) << item.check << ": " << item.detail;
  }
  EXPECT_NE(findResult(results, "data.row-count"), nullptr);
}

TEST(DataChecks, ChangedCountIsAWarningNullsMissingAndMismatchesFail) {
  DataObservation seen = goodData();
  seen.nullTenants = 2;
  seen.missingTenants = 1;
  seen.perTenant[1].visible = 6;
  auto results = checkData(tenantTable("users"), "public", "tenants", 5, seen);
  EXPECT_EQ(findResult(results, "data.row-count")->outcome, CheckOutcome::Warning);
  EXPECT_TRUE(contains(findResult(results, "data.row-count")->detail, "6 rows now, 5 before"));
  EXPECT_EQ(findResult(results, "data.null-tenant")->outcome, CheckOutcome::Failed);
  EXPECT_EQ(findResult(results, "data.missing-tenant")->outcome, CheckOutcome::Failed);
  const CheckResult* sum = findResult(results, "data.tenant-sum");
  EXPECT_EQ(sum->outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(sum->detail,
                       "with tenant b set the app role sees 6 rows, but the table "
                       "holds 2"))
      << sum->detail;
  EXPECT_EQ(findResult(checkData(tenantTable("users"), "public", "tenants", std::nullopt, seen),
                       "data.row-count")
                ->outcome,
            CheckOutcome::Warning);
}

TEST(DataChecks, CountsThatCouldNotBeReadFailAndTheTenantsTableHasNoBaseline) {
  DataObservation blocked;
  blocked.error = "blocked through 3 attempts";
  auto results = checkData(tenantTable("users"), "public", "tenants", 6, blocked);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(results[0].detail, "isolation not proven"));

  RelationFacts tenants = tenantTable("tenants");
  tenants.kind = RelationKind::TenantsTable;
  results = checkData(tenants, "public", "tenants", std::nullopt, goodData());
  EXPECT_EQ(findResult(results, "data.row-count"), nullptr);
  EXPECT_EQ(findResult(results, "data.missing-tenant"), nullptr);
}

ForeignKeyObservation foreignKey(std::int64_t crossTenant) {
  ForeignKeyObservation seen;
  seen.table = "rentals";
  seen.relation = "rentals";
  seen.parent = "customers";
  seen.fk.name = "rentals_customer_id_fkey";
  seen.fk.columns = {"customer_id"};
  seen.fk.referencedColumns = {"id"};
  seen.ran = true;
  seen.crossTenant = crossTenant;
  if (crossTenant > 0) {
    seen.samples = {{"(id)=(5) of tenant a", "customers (id)=(7) of tenant b"}};
  }
  return seen;
}

TEST(ForeignKeyChecks, TheDatabaseEnforcesOnlyAValidatedKeyPairingTheTenantColumns) {
  ForeignKeyFacts fk;
  fk.columns = {"tenant_id", "customer_id"};
  fk.referencedColumns = {"tenant_id", "id"};
  EXPECT_TRUE(enforcedByDatabase(fk, "tenant_id", "tenant_id"));
  fk.validated = false;
  EXPECT_FALSE(enforcedByDatabase(fk, "tenant_id", "tenant_id"));
  fk.validated = true;
  fk.referencedColumns = {"id", "tenant_id"};
  EXPECT_FALSE(enforcedByDatabase(fk, "tenant_id", "tenant_id"));
  fk.columns = {"customer_id"};
  fk.referencedColumns = {"id"};
  EXPECT_FALSE(enforcedByDatabase(fk, "tenant_id", "tenant_id"));
}

TEST(ForeignKeyChecks, CrossTenantRowsFailWithSamplesAndTheLineThatAcceptsThem) {
  api::MigrationSpec spec;
  plan::Plan plan;
  const CheckResult failed = checkForeignKey(spec, plan, foreignKey(3));
  EXPECT_EQ(failed.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(failed.detail,
                       "3 rows of rentals reference a customers row of another "
                       "tenant"));
  EXPECT_TRUE(contains(failed.detail, "(id)=(5) of tenant a -> customers (id)=(7) of tenant b"));
  EXPECT_TRUE(contains(failed.detail,
                       "add spec.tables: [{name: rentals, crossTenantRefs: "
                       "[rentals_customer_id_fkey]}]"))
      << failed.detail;
  EXPECT_EQ(checkForeignKey(spec, plan, foreignKey(0)).outcome, CheckOutcome::Passed);

  api::TableSpec rentals;
  rentals.name = "rentals";
  rentals.crossTenantRefs = {"rentals_customer_id_fkey"};
  spec.tables = std::vector<api::TableSpec>{rentals};
  const CheckResult accepted = checkForeignKey(spec, plan, foreignKey(3));
  EXPECT_EQ(accepted.outcome, CheckOutcome::Accepted);
  EXPECT_TRUE(accepted.exposure);
  EXPECT_EQ(accepted.acceptedBy, "spec.tables[0].crossTenantRefs");
  EXPECT_TRUE(contains(accepted.detail, "3 rows"));
  EXPECT_EQ(checkForeignKey(spec, plan, foreignKey(0)).outcome, CheckOutcome::Accepted);
}

TEST(ForeignKeyChecks, ThePlansDecisionAcceptsTooAndAnUncountedKeyFails) {
  api::MigrationSpec spec;
  plan::Plan plan;
  plan::TableDecision decision;
  decision.table = "rentals";
  decision.crossTenantRefs = {"rentals_customer_id_fkey"};
  plan.decisions = {decision};
  EXPECT_TRUE(crossTenantAccepted(spec, plan, "rentals", "rentals_customer_id_fkey"));
  EXPECT_FALSE(crossTenantAccepted(spec, plan, "rentals", "other_fkey"));

  plan::Plan none;
  ForeignKeyObservation blocked = foreignKey(0);
  blocked.ran = false;
  blocked.error = "lock timeout";
  const CheckResult failed = checkForeignKey(spec, none, blocked);
  EXPECT_EQ(failed.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(failed.detail, "isolation not proven"));

  ForeignKeyObservation enforced = foreignKey(0);
  enforced.enforced = true;
  enforced.ran = false;
  EXPECT_EQ(checkForeignKey(spec, none, enforced).outcome, CheckOutcome::Passed);
}

}  // namespace
}  // namespace tenantshift::verify
