#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyRoles = VerifyTest;

TEST_F(VerifyRoles, SuperuserAppRoleFails) {
  createMigratedDatabase();
  sql("ALTER ROLE " + role() + " SUPERUSER;");
  VerifyReport report = verify();
  const CheckResult& superuser = find(report, "role.not-superuser", "");
  EXPECT_EQ(superuser.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(superuser, "ALTER ROLE " + role() + " NOSUPERUSER")) << superuser.detail;
  EXPECT_EQ(find(report, "isolation.select", "users").outcome, CheckOutcome::Failed);
}

TEST_F(VerifyRoles, BypassRlsAppRoleFailsAndSoDoesEveryProbe) {
  createMigratedDatabase();
  sql("ALTER ROLE " + role() + " BYPASSRLS;");
  VerifyReport report = verify();
  const CheckResult& bypass = find(report, "role.no-bypassrls", "");
  EXPECT_EQ(bypass.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(bypass, "NOBYPASSRLS")) << bypass.detail;
  EXPECT_EQ(find(report, "isolation.select", "users").outcome, CheckOutcome::Failed);
  EXPECT_EQ(find(report, "data.tenant-sum", "users").outcome, CheckOutcome::Failed);
}

TEST_F(VerifyRoles, AppRoleThatOwnsATableOrIsAMemberOfItsOwnerFails) {
  createMigratedDatabase();
  const std::string owner = plan::quoteIdent("items owner " + database_);
  sql("ALTER TABLE users OWNER TO " + role() + "; CREATE ROLE " + owner +
      "; ALTER TABLE \"Order Items\" OWNER TO " + owner + "; GRANT " + owner + " TO " + role() +
      ";");
  VerifyReport report = verify();
  const CheckResult& owned = find(report, "role.not-owner", "");
  EXPECT_EQ(owned.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(owned, "users (owner " + role() + ")")) << owned.detail;
  EXPECT_TRUE(mentions(owned, "Order Items (owner " + owner + ")")) << owned.detail;
  EXPECT_TRUE(mentions(owned, "OWNER TO")) << owned.detail;
}

TEST_F(VerifyRoles, AppRoleThatCanSetRoleToABypassingRoleFails) {
  createMigratedDatabase();
  const std::string bypass = plan::quoteIdent("bypass " + database_);
  sql("CREATE ROLE " + bypass + " BYPASSRLS; GRANT " + bypass + " TO " + role() + ";");
  VerifyReport report = verify();
  const CheckResult& membership = find(report, "role.no-bypassing-membership", "");
  EXPECT_EQ(membership.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(membership, "REVOKE " + bypass + " FROM " + role())) << membership.detail;
  sql("REVOKE " + bypass + " FROM " + role() + ";");
  EXPECT_EQ(find(verify(), "role.no-bypassing-membership", "").outcome, CheckOutcome::Passed);
}

// Predefined roles reach around the policies (every session's SQL text, every table's data, the
// server's files): verify fails on them with the REVOKE, also when held through another role.
TEST_F(VerifyRoles, AppRoleInAPredefinedRoleThatReachesAroundThePoliciesFails) {
  createMigratedDatabase();
  EXPECT_EQ(find(verify(), "role.predefined", "").outcome, CheckOutcome::Passed) << lastReport_;
  const std::string reporting = plan::quoteIdent("reporting " + database_);
  sql("GRANT pg_monitor, pg_read_server_files, pg_signal_backend TO " + role() + "; CREATE ROLE " +
      reporting + "; GRANT pg_read_all_data TO " + reporting + "; GRANT " + reporting + " TO " +
      role() + ";");
  VerifyReport report = verify();
  EXPECT_FALSE(report.passed());
  const CheckResult& stats = find(report, "role.predefined", "pg_read_all_stats");
  EXPECT_EQ(stats.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(stats, "(through pg_monitor)")) << stats.detail;
  EXPECT_TRUE(mentions(stats, "REVOKE \"pg_monitor\" FROM " + role())) << stats.detail;
  EXPECT_EQ(find(report, "role.predefined", "pg_monitor").outcome, CheckOutcome::Failed);
  const CheckResult& files = find(report, "role.predefined", "pg_read_server_files");
  EXPECT_EQ(files.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(files, "REVOKE \"pg_read_server_files\" FROM " + role())) << files.detail;
  const CheckResult& data = find(report, "role.predefined", "pg_read_all_data");
  EXPECT_EQ(data.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(data, "REVOKE " + reporting + " FROM " + role())) << data.detail;
  EXPECT_EQ(find(report, "role.predefined", "pg_signal_backend").outcome, CheckOutcome::Warning);

  sql("REVOKE pg_monitor, pg_read_server_files, pg_signal_backend FROM " + role() + "; REVOKE " +
      reporting + " FROM " + role() + "; DROP ROLE " + reporting + ";");
  EXPECT_EQ(find(verify(), "role.predefined", "").outcome, CheckOutcome::Passed) << lastReport_;
}

TEST_F(VerifyRoles, MissingAppRoleFailsAndIsolationIsNotProven) {
  createMigratedDatabase();
  spec_.database.appRole = "no such role";
  VerifyReport report = verify();
  const CheckResult& exists = find(report, "role.exists", "");
  EXPECT_EQ(exists.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(exists, "spec.database.appRole")) << exists.detail;
  const CheckResult& isolation = find(report, "isolation", "");
  EXPECT_EQ(isolation.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(isolation, "isolation not proven")) << isolation.detail;
}

TEST_F(VerifyRoles, RunnerThatIsNotSuperuserIsWarnedAndMustBeAbleToSetRole) {
  createMigratedDatabase();
  const std::string runnerName = "runner_" + database_;
  const std::string runner = plan::quoteIdent(runnerName);
  sql("CREATE ROLE " + runner + " LOGIN; GRANT USAGE ON SCHEMA public TO " + runner +
      "; GRANT SELECT, UPDATE ON users, \"Order Items\", tenants TO " + runner + ";");
  std::string runnerUrl = url_;
  runnerUrl.replace(runnerUrl.find("postgres@"), std::string("postgres@").size(), runnerName + "@");
  connection_ = std::make_unique<pqxx::connection>(runnerUrl);
  VerifyReport report = verify();
  const CheckResult& warning = find(report, "runner.bypass-rls", "");
  EXPECT_EQ(warning.outcome, CheckOutcome::Warning);
  EXPECT_FALSE(warning.exposure);
  const CheckResult& assumable = find(report, "role.assumable", "");
  EXPECT_EQ(assumable.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(assumable, "GRANT " + role() + " TO " + runner)) << assumable.detail;
  EXPECT_TRUE(mentions(find(report, "isolation", ""), "isolation not proven"));

  sql("GRANT " + role() + " TO " + runner + ";");
  VerifyReport granted = verify();
  EXPECT_EQ(find(granted, "role.assumable", "").outcome, CheckOutcome::Passed) << lastReport_;
  EXPECT_EQ(find(granted, "isolation.select", "users").outcome, CheckOutcome::Passed)
      << lastReport_;
}

}  // namespace
}  // namespace tenantshift::verify
