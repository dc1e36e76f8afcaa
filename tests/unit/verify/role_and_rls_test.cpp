#include <gtest/gtest.h>

#include "facts_builder.h"
#include "verify/rls_checks.h"
#include "verify/role_checks.h"

namespace tenantshift::verify {
namespace {

RoleFacts goodRole() {
  RoleFacts role;
  role.appRole = "app";
  role.exists = true;
  role.runner = "postgres";
  role.runnerSuperuser = true;
  role.runnerCanSetRole = true;
  return role;
}

CheckOutcome outcomeOf(const std::vector<CheckResult>& results, const std::string& check) {
  const CheckResult* found = findResult(results, check);
  EXPECT_NE(found, nullptr) << check;
  return found == nullptr ? CheckOutcome::Failed : found->outcome;
}

TEST(RoleChecks, AnOrdinaryRoleThatOwnsNothingPassesEverything) {
  auto results = checkRoles(goodRole(), {tenantTable("users")}, "public");
  for (const CheckResult& item : results) {
    EXPECT_EQ(item.outcome, CheckOutcome::Passed) << item.check << ": " << item.detail;
  }
  EXPECT_EQ(findResult(results, "runner.bypass-rls"), nullptr);
  EXPECT_TRUE(appRoleUsable(goodRole()));
}

TEST(RoleChecks, EachWayAroundTheRoleFailsWithItsFix) {
  RoleFacts role = goodRole();
  role.superuser = true;
  role.bypassRls = true;
  role.bypassingRolesReachable = {"tenantshift_bypass"};
  RelationFacts owned = tenantTable("users");
  owned.appActsAsOwner = true;
  owned.owner = "app_owner";
  auto results = checkRoles(role, {owned, tenantTable("orders")}, "public");
  EXPECT_TRUE(contains(findResult(results, "role.not-superuser")->detail, "NOSUPERUSER"));
  EXPECT_TRUE(contains(findResult(results, "role.no-bypassrls")->detail, "NOBYPASSRLS"));
  EXPECT_TRUE(contains(findResult(results, "role.no-bypassing-membership")->detail,
                       "REVOKE \"tenantshift_bypass\" FROM \"app\""));
  const std::string owner = findResult(results, "role.not-owner")->detail;
  EXPECT_TRUE(contains(owner, "users (owner \"app_owner\")")) << owner;
  EXPECT_FALSE(contains(owner, "orders")) << owner;
  for (const std::string check : {"role.not-superuser", "role.no-bypassrls",
                                  "role.no-bypassing-membership", "role.not-owner"}) {
    EXPECT_EQ(outcomeOf(results, check), CheckOutcome::Failed) << check;
  }
}

TEST(RoleChecks, MissingRoleAndARunnerThatCannotAssumeIt) {
  RoleFacts missing = goodRole();
  missing.exists = false;
  auto results = checkRoles(missing, {}, "public");
  EXPECT_EQ(outcomeOf(results, "role.exists"), CheckOutcome::Failed);
  EXPECT_EQ(findResult(results, "role.assumable"), nullptr);
  EXPECT_FALSE(appRoleUsable(missing));

  RoleFacts runner = goodRole();
  runner.runnerSuperuser = false;
  runner.runnerCanSetRole = false;
  runner.setRoleError = "permission denied to set role \"app\"";
  results = checkRoles(runner, {}, "public");
  EXPECT_EQ(outcomeOf(results, "runner.bypass-rls"), CheckOutcome::Warning);
  const CheckResult* assumable = findResult(results, "role.assumable");
  EXPECT_EQ(assumable->outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(assumable->detail, "GRANT \"app\" TO \"postgres\"")) << assumable->detail;
  EXPECT_FALSE(appRoleUsable(runner));
}

ExpectedCondition expected() {
  ExpectedCondition out;
  out.ran = true;
  out.strict = "STRICT";
  out.permissive = "COND";
  return out;
}

TEST(RowSecurityChecks, CorrectTablePasses) {
  for (const CheckResult& item :
       checkRowSecurity(tenantTable("users"), "public", expected(), false)) {
    EXPECT_EQ(item.outcome, CheckOutcome::Passed) << item.check << ": " << item.detail;
  }
}

TEST(RowSecurityChecks, NotEnabledNotForcedAndUncoveredCommandsFail) {
  RelationFacts table = tenantTable("users");
  table.rowSecurity = false;
  table.forceRowSecurity = false;
  table.policies.pop_back();  // tenantshift_delete
  auto results = checkRowSecurity(table, "public", expected(), false);
  EXPECT_TRUE(contains(findResult(results, "rls.enabled")->detail,
                       "ALTER TABLE \"public\".\"users\" ENABLE ROW LEVEL SECURITY"));
  EXPECT_TRUE(contains(findResult(results, "rls.forced")->detail, "FORCE ROW LEVEL SECURITY"));
  EXPECT_TRUE(contains(findResult(results, "rls.policies")->detail, "covers DELETE"));
  for (const std::string check : {"rls.enabled", "rls.forced", "rls.policies"}) {
    EXPECT_EQ(findResult(results, check)->outcome, CheckOutcome::Failed) << check;
  }
}

TEST(RowSecurityChecks, OtherPermissivePoliciesFailUnlessTheyHaveTenantshiftsCondition) {
  RelationFacts table = tenantTable("users");
  PolicyFacts open;
  open.name = "open_read";
  open.command = 'r';
  open.appliesToApp = true;
  open.usingExpr = "true";
  table.policies.push_back(open);
  PolicyFacts restrictive = open;
  restrictive.name = "narrow";
  restrictive.permissive = false;
  table.policies.push_back(restrictive);
  PolicyFacts otherRole = open;
  otherRole.name = "admins";
  otherRole.appliesToApp = false;
  table.policies.push_back(otherRole);
  PolicyFacts same = open;
  same.name = "copy";
  same.usingExpr = "STRICT";
  table.policies.push_back(same);
  auto results = checkRowSecurity(table, "public", expected(), false);
  std::vector<const CheckResult*> extra;
  for (const CheckResult& item : results) {
    if (item.check == "rls.extra-policy") {
      extra.push_back(&item);
    }
  }
  ASSERT_EQ(extra.size(), 2U);
  EXPECT_EQ(extra[0]->outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(extra[0]->detail, "DROP POLICY \"open_read\" ON \"public\".\"users\""));
  EXPECT_EQ(extra[1]->outcome, CheckOutcome::Passed);
  EXPECT_TRUE(contains(extra[1]->detail, "\"copy\"")) << extra[1]->detail;

  // Once strict, the transition condition opens "no tenant set": no longer harmless.
  same.usingExpr = "COND";
  table.policies.back() = same;
  results = checkRowSecurity(table, "public", expected(), true);
  int failed = 0;
  for (const CheckResult& item : results) {
    failed += item.check == "rls.extra-policy" && item.outcome == CheckOutcome::Failed ? 1 : 0;
  }
  EXPECT_EQ(failed, 2);
}

TEST(RowSecurityChecks, MissingTableColumnAndDetachedPartition) {
  RelationFacts missing = tenantTable("gone");
  missing.exists = false;
  auto results = checkRowSecurity(missing, "public", expected(), false);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].check, "table.exists");
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);

  RelationFacts detached = tenantTable("events_2020");
  detached.kind = RelationKind::Partition;
  detached.root = "events";
  detached.detached = true;
  detached.hasTenantColumn = false;
  results = checkRowSecurity(detached, "public", expected(), false);
  EXPECT_EQ(findResult(results, "table.attached")->outcome, CheckOutcome::Warning);
  EXPECT_EQ(findResult(results, "tenant-column.exists")->outcome, CheckOutcome::Failed);
  EXPECT_TRUE(
      contains(findResult(results, "table.attached")->detail, "no longer attached to events"));

  RelationFacts tenants = tenantTable("tenants");
  tenants.kind = RelationKind::TenantsTable;
  tenants.rowSecurity = false;
  results = checkRowSecurity(tenants, "public", expected(), false);
  EXPECT_TRUE(contains(findResult(results, "rls.enabled")->detail, "the tenants table tenants"));
}

}  // namespace
}  // namespace tenantshift::verify

namespace tenantshift::verify {
namespace {

const CheckResult* predefinedResult(const std::vector<CheckResult>& results,
                                    const std::string& role) {
  for (const CheckResult& item : results) {
    if (item.check == "role.predefined" && item.table == role) {
      return &item;
    }
  }
  ADD_FAILURE() << "no role.predefined result for " << role;
  return nullptr;
}

TEST(PredefinedRoleChecks, NoneHeldPassesOnce) {
  const auto results = checkPredefinedRoles("app", {});
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].check, "role.predefined");
  EXPECT_EQ(results[0].outcome, CheckOutcome::Passed);
  // checkRoles reports it with the other role checks.
  EXPECT_EQ(outcomeOf(checkRoles(goodRole(), {}, "public"), "role.predefined"),
            CheckOutcome::Passed);
}

TEST(PredefinedRoleChecks, RolesThatReachAroundThePoliciesFailWithTheirRevoke) {
  const auto results =
      checkPredefinedRoles("app", {{"pg_monitor", {"pg_monitor"}},
                                   {"pg_read_all_stats", {"pg_monitor"}},
                                   {"pg_read_all_data", {"reporting", "pg_read_all_data"}},
                                   {"pg_write_all_data", {"pg_write_all_data"}},
                                   {"pg_read_server_files", {"pg_read_server_files"}},
                                   {"pg_write_server_files", {"pg_write_server_files"}},
                                   {"pg_execute_server_program", {"pg_execute_server_program"}},
                                   {"pg_maintain", {"pg_maintain"}},
                                   {"pg_database_owner", {}}});
  ASSERT_EQ(results.size(), 9U);
  for (const CheckResult& item : results) {
    EXPECT_EQ(item.outcome, CheckOutcome::Failed) << item.table << ": " << item.detail;
  }
  const std::string stats = predefinedResult(results, "pg_read_all_stats")->detail;
  EXPECT_TRUE(contains(stats, "member of pg_read_all_stats (through pg_monitor)")) << stats;
  EXPECT_TRUE(contains(stats, "pg_stat_activity")) << stats;
  EXPECT_TRUE(contains(stats, "REVOKE \"pg_monitor\" FROM \"app\"")) << stats;
  EXPECT_TRUE(contains(stats, "(or revoke pg_read_all_stats from the role that leads there)"))
      << stats;
  const std::string monitor = predefinedResult(results, "pg_monitor")->detail;
  EXPECT_TRUE(contains(monitor, ": REVOKE \"pg_monitor\" FROM \"app\"")) << monitor;
  EXPECT_FALSE(contains(monitor, "(through")) << monitor;
  EXPECT_FALSE(contains(monitor, "or revoke")) << monitor;
  const std::string data = predefinedResult(results, "pg_read_all_data")->detail;
  EXPECT_TRUE(contains(data,
                       "REVOKE \"reporting\" FROM \"app\"; REVOKE \"pg_read_all_data\" "
                       "FROM \"app\""))
      << data;
  EXPECT_TRUE(
      contains(predefinedResult(results, "pg_execute_server_program")->detail, "COPY ... PROGRAM"));
  EXPECT_TRUE(contains(predefinedResult(results, "pg_database_owner")->detail,
                       "ALTER DATABASE ... OWNER TO"));
}

TEST(PredefinedRoleChecks, OthersAreWarnings) {
  const auto results = checkPredefinedRoles(
      "app", {{"pg_signal_backend", {"pg_signal_backend"}}, {"pg_checkpoint", {"pg_checkpoint"}}});
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(predefinedResult(results, "pg_signal_backend")->outcome, CheckOutcome::Warning);
  const CheckResult* unknown = predefinedResult(results, "pg_checkpoint");
  EXPECT_EQ(unknown->outcome, CheckOutcome::Warning);
  EXPECT_TRUE(contains(unknown->detail, "REVOKE \"pg_checkpoint\" FROM \"app\""))
      << unknown->detail;
}

}  // namespace
}  // namespace tenantshift::verify
