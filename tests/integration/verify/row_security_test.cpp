#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyRowSecurity = VerifyTest;

TEST_F(VerifyRowSecurity, EnabledButNotForcedFails) {
  createMigratedDatabase();
  sql("ALTER TABLE \"Order Items\" NO FORCE ROW LEVEL SECURITY;");
  VerifyReport report = verify();
  const CheckResult& forced = find(report, "rls.forced", "Order Items");
  EXPECT_EQ(forced.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(forced, "ALTER TABLE \"public\".\"Order Items\" FORCE ROW LEVEL SECURITY"))
      << forced.detail;
  EXPECT_EQ(find(report, "rls.enabled", "Order Items").outcome, CheckOutcome::Passed);
  EXPECT_EQ(find(report, "rls.forced", "users").outcome, CheckOutcome::Passed);
}

TEST_F(VerifyRowSecurity, MissingPolicyIsNamed) {
  createMigratedDatabase();
  sql("DROP POLICY tenantshift_delete ON users;");
  VerifyReport report = verify();
  const CheckResult& policies = find(report, "rls.policies", "users");
  EXPECT_EQ(policies.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(policies, "covers DELETE")) << policies.detail;
}

TEST_F(VerifyRowSecurity, ExtraPermissivePolicyFailsNamingItUntilItIsRestrictive) {
  createMigratedDatabase();
  sql("CREATE POLICY open_read ON users FOR SELECT USING (true);");
  VerifyReport report = verify();
  const CheckResult& extra = find(report, "rls.extra-policy", "users");
  EXPECT_EQ(extra.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(extra, "\"open_read\"")) << extra.detail;
  EXPECT_TRUE(mentions(extra, "DROP POLICY \"open_read\" ON \"public\".\"users\"")) << extra.detail;
  const CheckResult& select = find(report, "isolation.select", "users");
  EXPECT_EQ(select.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(select, "rows of other tenants")) << select.detail;
  EXPECT_EQ(find(report, "data.tenant-sum", "users").outcome, CheckOutcome::Failed);
  EXPECT_EQ(find(report, "isolation.select", "Order Items").outcome, CheckOutcome::Passed);

  sql("DROP POLICY open_read ON users; CREATE POLICY open_read ON users AS RESTRICTIVE FOR "
      "SELECT USING (true);");
  VerifyReport restrictive = verify();
  EXPECT_TRUE(all(restrictive, "rls.extra-policy", "users").empty()) << lastReport_;
  EXPECT_TRUE(restrictive.passed()) << lastReport_;
}

TEST_F(VerifyRowSecurity, PolicyForARoleTheAppIsNotIsIgnored) {
  createMigratedDatabase();
  const std::string admin = plan::quoteIdent("admin " + database_);
  sql("CREATE ROLE " + admin + "; CREATE POLICY admin_all ON users TO " + admin + " USING (true);");
  VerifyReport report = verify();
  EXPECT_TRUE(all(report, "rls.extra-policy", "users").empty()) << lastReport_;
  EXPECT_TRUE(report.isolated()) << lastReport_;
}

TEST_F(VerifyRowSecurity, TenantsTableWithoutPoliciesFails) {
  createMigratedDatabase();
  sql("ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY; ALTER TABLE tenants DISABLE ROW LEVEL "
      "SECURITY; DROP POLICY tenantshift_select ON tenants; DROP POLICY tenantshift_insert ON "
      "tenants; DROP POLICY tenantshift_update ON tenants; DROP POLICY tenantshift_delete ON "
      "tenants;");
  VerifyReport report = verify();
  const CheckResult& enabled = find(report, "rls.enabled", "tenants");
  EXPECT_EQ(enabled.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(enabled, "the tenants table tenants")) << enabled.detail;
  EXPECT_TRUE(mentions(enabled, "ENABLE ROW LEVEL SECURITY")) << enabled.detail;
  EXPECT_EQ(find(report, "rls.policies", "tenants").outcome, CheckOutcome::Failed);
  const CheckResult& select = find(report, "isolation.select", "tenants");
  EXPECT_EQ(select.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(select, "rows of other tenants")) << select.detail;
  EXPECT_EQ(find(report, "rls.enabled", "users").outcome, CheckOutcome::Passed);
}

// events is partitioned by kind, events_a again by id: a query that names a partition directly
// is filtered by that partition's own policies, so every partition needs them.
TEST_F(VerifyRowSecurity, PartitionsAtTwoLevelsAreCheckedAndProbedDirectly) {
  createMigratedDatabase();
  sql("CREATE TABLE events (id bigint NOT NULL, kind text NOT NULL, "
      "  tenant_id uuid NOT NULL REFERENCES tenants (id), PRIMARY KEY (tenant_id, id, kind))"
      "  PARTITION BY LIST (kind);"
      "CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a') PARTITION BY RANGE (id);"
      "CREATE TABLE events_a_low PARTITION OF events_a FOR VALUES FROM (0) TO (100);"
      "CREATE TABLE events_a_high PARTITION OF events_a FOR VALUES FROM (100) TO (1000);"
      "CREATE TABLE events_b PARTITION OF events FOR VALUES IN ('b');"
      "INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END,"
      "  CASE WHEN g % 3 = 0 THEN '" +
      std::string(kAcme) + "'::uuid ELSE '" + kDefaultTenant +
      "'::uuid END FROM generate_series(1, 300) g;"
      "GRANT SELECT, INSERT, UPDATE, DELETE ON events, events_a, events_a_low, events_a_high, "
      "events_b TO " +
      role() + ";");
  for (const std::string table : {"events", "events_a", "events_a_low", "events_b"}) {
    enableRls(table);
    createPolicies(table, "tenant_id", false);
  }
  plan::TableDecision events;
  events.table = "events";
  events.partitions = {"events_a", "events_a_low", "events_a_high", "events_b"};
  plan_.decisions.push_back(events);
  baseline_["events"] = 300;
  VerifyReport report = verify();
  const CheckResult& leaf = find(report, "rls.enabled", "events_a_high");
  EXPECT_EQ(leaf.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(leaf, "partition events_a_high of events")) << leaf.detail;
  const CheckResult& direct = find(report, "isolation.select", "events_a_high");
  EXPECT_EQ(direct.outcome, CheckOutcome::Failed) << lastReport_;
  for (const std::string table : {"events", "events_a", "events_a_low", "events_b"}) {
    EXPECT_EQ(find(report, "rls.enabled", table).outcome, CheckOutcome::Passed) << table;
    EXPECT_EQ(find(report, "isolation.select", table).outcome, CheckOutcome::Passed)
        << table << "\n"
        << lastReport_;
    EXPECT_EQ(find(report, "setting.empty", table).outcome, CheckOutcome::Passed) << table;
  }
  // The partitions' copies of the parent's primary key are judged on the parent only.
  EXPECT_TRUE(all(report, "keys.unique", "events_a_low").empty()) << lastReport_;
  EXPECT_EQ(find(report, "keys.tenant-filter", "events").outcome, CheckOutcome::Passed)
      << lastReport_;
  EXPECT_EQ(find(report, "data.row-count", "events").outcome, CheckOutcome::Passed);

  enableRls("events_a_high");
  createPolicies("events_a_high", "tenant_id", false);
  VerifyReport fixed = verify();
  EXPECT_TRUE(fixed.passed()) << lastReport_;
}

}  // namespace
}  // namespace tenantshift::verify
