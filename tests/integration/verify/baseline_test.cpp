#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyBaseline = VerifyTest;

TEST_F(VerifyBaseline, CorrectlyMigratedDatabaseIsIsolatedWithItsPrimaryKeysAcceptedByDesign) {
  createMigratedDatabase();
  VerifyReport report = verify();
  EXPECT_TRUE(report.passed()) << lastReport_;
  EXPECT_TRUE(report.isolated()) << lastReport_;
  EXPECT_EQ(report.count(CheckOutcome::Warning), 0U) << lastReport_;
  for (const std::string table : {"users", "Order Items", "tenants"}) {
    for (const std::string check :
         {"rls.enabled", "rls.forced", "rls.policies", "setting.unset", "setting.empty",
          "data.null-tenant", "data.tenant-sum", "isolation.select", "isolation.update",
          "isolation.delete", "isolation.insert", "isolation.on-conflict",
          "isolation.update-move"}) {
      EXPECT_EQ(find(report, check, table).outcome, CheckOutcome::Passed)
          << check << " " << table << "\n"
          << lastReport_;
    }
  }
  for (const std::string table : {"users", "Order Items"}) {
    EXPECT_EQ(find(report, "data.row-count", table).outcome, CheckOutcome::Passed);
    EXPECT_EQ(find(report, "keys.tenant-filter", table).outcome, CheckOutcome::Passed);
    const CheckResult& primary = find(report, "keys.unique", table);
    EXPECT_EQ(primary.outcome, CheckOutcome::Accepted) << lastReport_;
    EXPECT_TRUE(primary.exposure);
    EXPECT_EQ(primary.acceptedBy, "by design (primary key)");
    EXPECT_TRUE(mentions(primary,
                         "existence of a primary key value in another tenant can be "
                         "inferred"))
        << primary.detail;
  }
  EXPECT_EQ(find(report, "data.foreign-key", "Order Items").outcome, CheckOutcome::Passed);
  // The insert was stopped by the policy, not by the duplicate primary key.
  EXPECT_TRUE(mentions(find(report, "isolation.insert", "users"), "row-level security"));
  EXPECT_EQ(report.fingerprint.size(), 32U);

  auto json = report.toJson();
  EXPECT_TRUE(json["passed"].get<bool>());
  EXPECT_TRUE(json["isolated"].get<bool>());
  EXPECT_EQ(json["accepted"].size(), 2U);
  EXPECT_EQ(json["checks"].size() + json["accepted"].size(), report.checks.size());
  EXPECT_EQ(json["summary"]["unacceptedExposures"].get<int>(), 0);
  EXPECT_NE(lastReport_.find("ACCEPTED EXCEPTIONS"), std::string::npos) << lastReport_;
}

TEST_F(VerifyBaseline, ChangesNothingAndHoldsNoLockBetweenTables) {
  createMigratedDatabase();
  const std::string content =
      "SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM tenants t) || "
      "(SELECT md5(string_agg(u::text, ',' ORDER BY u.id)) FROM users u) || "
      "(SELECT md5(string_agg(o::text, ',' ORDER BY o.id)) FROM \"Order Items\" o)";
  const std::string before = scalar(content);
  const std::string pid = std::to_string(connection_->backendpid());
  auto other = otherSession();
  std::vector<std::string> probed;
  // After each table's probes, while verify is still running: its session is idle (no open
  // transaction, so no row lock), and another session updates every row of the probed table at
  // once (lock_timeout 50ms: it would fail if verify still held a row).
  options_.afterRelationProbed = [&](const std::string& relation) {
    probed.push_back(relation);
    pqxx::work tx(*other);
    auto activity = tx.exec_params1(
        "SELECT state, backend_xid IS NULL FROM pg_stat_activity WHERE pid = $1::int", pid);
    EXPECT_EQ(activity[0].as<std::string>(), "idle") << relation;
    EXPECT_TRUE(activity[1].as<bool>()) << relation;
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM pg_locks WHERE pid = $1::int AND "
                              "locktype IN ('relation', 'tuple', 'transactionid')",
                              pid)[0]
                  .as<int>(),
              0)
        << relation;
    tx.exec("SET LOCAL lock_timeout = '50ms'");
    const std::string table = relation == "Order Items" ? "\"Order Items\"" : relation;
    const std::string column = relation == "tenants" ? "id" : "tenant_id";
    EXPECT_GT(tx.exec("UPDATE " + table + " SET " + column + " = " + column).affected_rows(), 0U);
    tx.abort();
  };
  VerifyReport report = verify();
  EXPECT_TRUE(report.passed()) << lastReport_;
  EXPECT_EQ(probed, (std::vector<std::string>{"users", "Order Items", "tenants"}));
  EXPECT_EQ(scalar(content), before);
  EXPECT_EQ(scalarOn(*connection_, "SELECT current_user"), "postgres");
  EXPECT_EQ(
      scalarOn(*connection_, "SELECT coalesce(current_setting('app.current_tenant_id', true), '')"),
      "");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname LIKE 'tenantshift_verify%'"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "2");
  // And it runs again on the same connection with the same verdict.
  options_.afterRelationProbed = nullptr;
  EXPECT_TRUE(verify().isolated()) << lastReport_;
}

TEST_F(VerifyBaseline, StrictPoliciesPassStrictModeAndFailTransitionMode) {
  createMigratedDatabase(/*strict=*/true);
  VerifyReport strict = verify(/*strict=*/true);
  EXPECT_TRUE(strict.isolated()) << lastReport_;
  EXPECT_TRUE(mentions(find(strict, "setting.unset", "tenants"), "sees 0 of 2 rows"))
      << lastReport_;

  VerifyReport transition = verify(/*strict=*/false);
  EXPECT_FALSE(transition.passed());
  const CheckResult& unset = find(transition, "setting.unset", "Order Items");
  EXPECT_EQ(unset.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(mentions(unset, "sees 0 of 8 rows")) << unset.detail;
}

TEST_F(VerifyBaseline, TransitionPoliciesFailStrictModeOnEveryTableAndTheTenantsTable) {
  createMigratedDatabase(/*strict=*/false);
  VerifyReport report = verify(/*strict=*/true);
  EXPECT_FALSE(report.passed());
  for (const std::string check : {"setting.unset", "setting.empty"}) {
    const CheckResult& users = find(report, check, "users");
    EXPECT_EQ(users.outcome, CheckOutcome::Failed) << lastReport_;
    EXPECT_TRUE(mentions(users, "sees 6 of 6 rows")) << users.detail;
    EXPECT_TRUE(mentions(users, "flag/enforce")) << users.detail;
    EXPECT_EQ(find(report, check, "tenants").outcome, CheckOutcome::Failed) << lastReport_;
  }
}

TEST_F(VerifyBaseline, BigintTenantIdsWithASingleTenantAreProbedWithAnAbsentTenant) {
  sql("CREATE ROLE " + role() +
      " LOGIN;"
      "CREATE TABLE tenants (id bigint PRIMARY KEY, slug text NOT NULL UNIQUE, name text);"
      "INSERT INTO tenants VALUES (1, 'default', 'Default');"
      "CREATE TABLE notes (id serial PRIMARY KEY, body text, tenant_id bigint NOT NULL "
      "  DEFAULT 1 REFERENCES tenants (id));"
      "CREATE INDEX ON notes (tenant_id);"
      "INSERT INTO notes (body) VALUES ('a'), ('b'), ('c');"
      "GRANT USAGE ON SCHEMA public TO " +
      role() + "; GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO " + role() +
      "; GRANT SELECT ON tenants TO " + role() + ";");
  const std::string current =
      "(SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)";
  for (const auto& [table, column] : std::vector<std::pair<std::string, std::string>>{
           {"notes", "tenant_id"}, {"tenants", "id"}}) {
    enableRls(table);
    sql("CREATE POLICY tenantshift_all ON " + table + " USING (" + column + " = " + current +
        ") WITH CHECK (" + column + " = " + current + ")");
  }
  spec_.tenant.idType = api::TenantIdType::Bigint;
  spec_.tenant.defaultTenant.id = "1";
  plan::TableDecision notes;
  notes.table = "notes";
  plan_.decisions = {notes};
  baseline_ = {{"notes", 3}};
  VerifyReport report = verify(/*strict=*/true);
  EXPECT_TRUE(report.passed()) << lastReport_;
  const CheckResult& select = find(report, "isolation.select", "notes");
  EXPECT_EQ(select.outcome, CheckOutcome::Passed);
  EXPECT_TRUE(mentions(select, "with tenant -1 set")) << select.detail;
  EXPECT_EQ(find(report, "isolation.insert", "notes").outcome, CheckOutcome::Passed);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "1");
}

}  // namespace
}  // namespace tenantshift::verify
