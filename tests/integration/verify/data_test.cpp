#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyData = VerifyTest;

TEST_F(VerifyData, NullTenantIdsFail) {
  createMigratedDatabase();
  sql("ALTER TABLE users ALTER COLUMN tenant_id DROP NOT NULL;"
      "UPDATE users SET tenant_id = NULL WHERE id IN (3, 4);");
  VerifyReport report = verify();
  const CheckResult& nulls = find(report, "data.null-tenant", "users");
  EXPECT_EQ(nulls.outcome, CheckOutcome::Failed);
  EXPECT_EQ(nulls.detail.rfind("2 rows have a NULL \"tenant_id\"", 0), 0U) << nulls.detail;
  EXPECT_TRUE(mentions(nulls, "resume the backfill")) << nulls.detail;
}

TEST_F(VerifyData, TenantIdsMissingFromTheTenantsTableFail) {
  createMigratedDatabase();
  sql("ALTER TABLE users DROP CONSTRAINT users_tenant_id_fkey;"
      "UPDATE users SET tenant_id = '00000000-0000-0000-0000-0000000000ff' WHERE id = 6;");
  VerifyReport report = verify();
  const CheckResult& missing = find(report, "data.missing-tenant", "users");
  EXPECT_EQ(missing.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(missing, "1 rows have a \"tenant_id\" missing from tenants"))
      << missing.detail;
}

TEST_F(VerifyData, RowCountThatChangedIsAWarningOnly) {
  createMigratedDatabase();
  baseline_["users"] = 5;
  VerifyReport report = verify();
  const CheckResult& count = find(report, "data.row-count", "users");
  EXPECT_EQ(count.outcome, CheckOutcome::Warning);
  EXPECT_FALSE(count.exposure);
  EXPECT_TRUE(mentions(count, "6 rows now, 5 before")) << count.detail;
  EXPECT_TRUE(report.isolated()) << lastReport_;
}

// A nullable foreign key (the planner takes the default tenant for its NULL rows) whose row
// points at another tenant's user: visible to its own tenant, pointing at a row it cannot see.
TEST_F(VerifyData, NullableForeignKeyToAnotherTenantsRowFailsWithTheSpecLineThatAcceptsIt) {
  createMigratedDatabase();
  sql("ALTER TABLE \"Order Items\" ALTER COLUMN user_id DROP NOT NULL;"
      "UPDATE \"Order Items\" SET user_id = NULL WHERE id = 2;"
      "UPDATE \"Order Items\" SET user_id = 5 WHERE id = 1;");  // user 5: Acme; item 1: default
  VerifyReport report = verify();
  const CheckResult& fk = find(report, "data.foreign-key", "Order Items");
  EXPECT_EQ(fk.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(fk, "1 rows of Order Items reference a users row of another tenant"))
      << fk.detail;
  EXPECT_TRUE(mentions(fk, "(id)=(1) of tenant " + std::string(kDefaultTenant) +
                               " -> users (id)=(5) of tenant " + kAcme))
      << fk.detail;
  EXPECT_TRUE(mentions(fk,
                       "add spec.tables: [{name: \"Order Items\", crossTenantRefs: "
                       "[\"Order Items_user_id_fkey\"]}]"))
      << fk.detail;

  // Listed in spec.tables without the key: the line names its index.
  api::TableSpec users;
  users.name = "users";
  api::TableSpec items;
  items.name = "Order Items";
  spec_.tables = std::vector<api::TableSpec>{users, items};
  const CheckResult& listed = find(verify(), "data.foreign-key", "Order Items");
  EXPECT_TRUE(mentions(listed,
                       "add crossTenantRefs: [\"Order Items_user_id_fkey\"] to "
                       "spec.tables[1] (Order Items)"))
      << listed.detail;

  // Accepted: listed with its counts, the verdict holds.
  (*spec_.tables)[1].crossTenantRefs = {"Order Items_user_id_fkey"};
  VerifyReport accepted = verify();
  const CheckResult& acceptedFk = find(accepted, "data.foreign-key", "Order Items");
  EXPECT_EQ(acceptedFk.outcome, CheckOutcome::Accepted) << lastReport_;
  EXPECT_TRUE(acceptedFk.exposure);
  EXPECT_EQ(acceptedFk.acceptedBy, "spec.tables[1].crossTenantRefs");
  EXPECT_TRUE(mentions(acceptedFk, "1 rows of Order Items")) << acceptedFk.detail;
  EXPECT_TRUE(accepted.isolated()) << lastReport_;
}

TEST_F(VerifyData, TenantConsistentCompositeForeignKeyIsEnforcedOnceValidated) {
  createMigratedDatabase();
  sql("ALTER TABLE users ADD CONSTRAINT users_tenant_id_id_key UNIQUE (tenant_id, id);"
      "ALTER TABLE \"Order Items\" DROP CONSTRAINT \"Order Items_user_id_fkey\";"
      "ALTER TABLE \"Order Items\" ADD CONSTRAINT \"Order Items_user_id_fkey\" FOREIGN KEY "
      "  (tenant_id, user_id) REFERENCES users (tenant_id, id);");
  const CheckResult& enforced = find(verify(), "data.foreign-key", "Order Items");
  EXPECT_EQ(enforced.outcome, CheckOutcome::Passed) << lastReport_;
  EXPECT_TRUE(mentions(enforced, "includes the tenant column on both sides and is validated"))
      << enforced.detail;

  // NOT VALID: rows written before it may still cross tenants, so they are counted.
  sql("ALTER TABLE \"Order Items\" DROP CONSTRAINT \"Order Items_user_id_fkey\";"
      "UPDATE \"Order Items\" SET user_id = 5 WHERE id = 1;"
      "ALTER TABLE \"Order Items\" ADD CONSTRAINT \"Order Items_user_id_fkey\" FOREIGN KEY "
      "  (tenant_id, user_id) REFERENCES users (tenant_id, id) NOT VALID;");
  const CheckResult& counted = find(verify(), "data.foreign-key", "Order Items");
  EXPECT_EQ(counted.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(counted, "1 rows of Order Items")) << counted.detail;
}

}  // namespace
}  // namespace tenantshift::verify
