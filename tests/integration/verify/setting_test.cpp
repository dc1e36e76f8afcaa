#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifySetting = VerifyTest;

// A default for the tenant setting would make "no tenant set" mean that tenant.
TEST_F(VerifySetting, DefaultAtRoleOrDatabaseLevelFailsWithTheResetStatement) {
  createMigratedDatabase();
  sql("ALTER ROLE " + role() + " SET app.current_tenant_id = '" + kAcme + "';");
  const CheckResult roleLevel = find(verify(), "setting.no-default", "");
  EXPECT_EQ(roleLevel.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(roleLevel, "ALTER ROLE " + role() + " RESET app.current_tenant_id"))
      << roleLevel.detail;
  EXPECT_TRUE(mentions(roleLevel, kAcme)) << roleLevel.detail;

  sql("ALTER ROLE " + role() + " RESET app.current_tenant_id; ALTER DATABASE " +
      plan::quoteIdent(database_) + " SET app.current_tenant_id = '" + kAcme + "';");
  const CheckResult databaseLevel = find(verify(), "setting.no-default", "");
  EXPECT_EQ(databaseLevel.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(databaseLevel, "ALTER DATABASE " + plan::quoteIdent(database_) +
                                          " RESET app.current_tenant_id"))
      << databaseLevel.detail;

  // An empty default means no tenant: harmless.
  sql("ALTER DATABASE " + plan::quoteIdent(database_) + " SET app.current_tenant_id = '';");
  EXPECT_EQ(find(verify(), "setting.no-default", "").outcome, CheckOutcome::Passed) << lastReport_;
}

TEST_F(VerifySetting, PolicyThatFailsOnAnEmptySettingFails) {
  createMigratedDatabase();
  // Without NULLIF, '' cannot be cast to uuid: the application would get errors.
  sql("DROP POLICY tenantshift_select ON users;"
      "CREATE POLICY tenantshift_select ON users FOR SELECT USING (tenant_id = "
      "current_setting('app.current_tenant_id', true)::uuid OR "
      "current_setting('app.current_tenant_id', true) IS NULL);");
  VerifyReport report = verify();
  const CheckResult& empty = find(report, "setting.empty", "users");
  EXPECT_EQ(empty.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(empty, "SELECT count(*) fails")) << empty.detail;
  EXPECT_TRUE(mentions(empty, "NULLIF")) << empty.detail;
  EXPECT_EQ(find(report, "setting.unset", "users").outcome, CheckOutcome::Passed);
}

}  // namespace
}  // namespace tenantshift::verify
