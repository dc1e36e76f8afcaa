#include <thread>

#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyIsolation = VerifyTest;

TEST_F(VerifyIsolation, InsertAndUpdatePoliciesThatIgnoreTheTenantFail) {
  createMigratedDatabase();
  sql("DROP POLICY tenantshift_insert ON \"Order Items\";"
      "CREATE POLICY tenantshift_insert ON \"Order Items\" FOR INSERT WITH CHECK (true);"
      "DROP POLICY tenantshift_update ON \"Order Items\";"
      "CREATE POLICY tenantshift_update ON \"Order Items\" FOR UPDATE "
      "USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), "
      "'')::uuid)) WITH CHECK (true);");
  VerifyReport report = verify();
  const CheckResult& insert = find(report, "isolation.insert", "Order Items");
  EXPECT_EQ(insert.outcome, CheckOutcome::Failed) << lastReport_;
  // The copy collides with the original's primary key: the policy did not stop it first.
  EXPECT_TRUE(mentions(insert, "not stopped by row-level security")) << insert.detail;
  EXPECT_TRUE(mentions(insert, "duplicate key")) << insert.detail;
  // Moving a row by its ctid is still refused (the SELECT policy applies to the new row), but an
  // UPDATE that reads no column is checked by the UPDATE policy alone, and moves every row.
  const CheckResult& move = find(report, "isolation.update-move", "Order Items");
  EXPECT_EQ(move.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(move, "reading no column, so only the UPDATE policy applies"))
      << move.detail;
  EXPECT_EQ(find(report, "isolation.insert", "users").outcome, CheckOutcome::Passed);
}

// The probes run the application's statements, which fire its triggers: an audit trigger that
// names its table unqualified finds it as it does for the application (not under the
// search_path tenantshift pins for its own SQL), so the result is row-level security's.
TEST_F(VerifyIsolation, ApplicationTriggersFindWhatTheyNameAsForTheApplication) {
  createMigratedDatabase();
  sql("CREATE TABLE audit_log (what text);"
      "GRANT INSERT ON audit_log TO " +
      role() +
      ";"
      "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO audit_log (what) VALUES (TG_OP); RETURN COALESCE(NEW, OLD); END $$;"
      "CREATE TRIGGER users_audit BEFORE INSERT OR UPDATE OR DELETE ON users "
      "FOR EACH ROW EXECUTE FUNCTION audit();");
  const VerifyReport report = verify();
  const CheckResult insert = find(report, "isolation.insert", "users");
  EXPECT_EQ(insert.outcome, CheckOutcome::Passed) << insert.detail;
  EXPECT_TRUE(mentions(insert, "refused by row-level security")) << insert.detail;
  EXPECT_EQ(find(report, "isolation.update-move", "users").outcome, CheckOutcome::Passed)
      << lastReport_;
  EXPECT_EQ(scalar("SELECT count(*) FROM audit_log"), "0");  // every probe rolled back
}

TEST_F(VerifyIsolation, UpdateOrDeletePolicyThatIgnoresTheTenantFails) {
  createMigratedDatabase();
  const std::string matches = "(" + tenantCondition("tenant_id", false) + ")";
  sql("DROP POLICY tenantshift_update ON users; CREATE POLICY tenantshift_update ON users FOR "
      "UPDATE USING (true) WITH CHECK " +
      matches +
      "; DROP POLICY tenantshift_delete ON users; CREATE POLICY tenantshift_delete ON users FOR "
      "DELETE USING (true);");
  VerifyReport report = verify();
  const CheckResult& update = find(report, "isolation.update", "users");
  EXPECT_EQ(update.outcome, CheckOutcome::Failed) << lastReport_;
  // Taking every row over for a tenant with no rows: only the foreign key to tenants stopped it.
  EXPECT_TRUE(mentions(update, "of every row reached rows of other tenants")) << update.detail;
  const CheckResult& remove = find(report, "isolation.delete", "users");
  EXPECT_EQ(remove.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(remove, "DELETE of every row reached rows of other tenants"))
      << remove.detail;
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), "6");  // all of it rolled back
}

TEST_F(VerifyIsolation, OnConflictThatTakesOverAnotherTenantsRowFails) {
  createMigratedDatabase();
  sql("DROP POLICY tenantshift_select ON users; CREATE POLICY tenantshift_select ON users FOR "
      "SELECT USING (true); DROP POLICY tenantshift_update ON users; CREATE POLICY "
      "tenantshift_update ON users FOR UPDATE USING (true) WITH CHECK (true);");
  const CheckResult conflict = find(verify(), "isolation.on-conflict", "users");
  EXPECT_EQ(conflict.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(conflict, "updated that other tenant's row")) << conflict.detail;
}

// Every row of users locked by another session: the probe finds no row it may lock, is retried
// (through the injected sleep: the test does not wait) and is then Failed, never passed.
TEST_F(VerifyIsolation, ProbeBlockedByRowLocksIsRetriedThenNotProven) {
  createMigratedDatabase();
  auto other = otherSession();
  pqxx::work holder(*other);
  holder.exec("SELECT * FROM users FOR UPDATE");
  VerifyReport report = verify();
  const CheckResult& isolation = find(report, "isolation", "users");
  EXPECT_EQ(isolation.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(isolation, "isolation not proven")) << isolation.detail;
  EXPECT_TRUE(mentions(isolation, "locked by other sessions")) << isolation.detail;
  EXPECT_TRUE(mentions(isolation, "3 attempts")) << isolation.detail;
  EXPECT_EQ(sleeps_.size(), 2U);                            // options_.retry.retries
  EXPECT_EQ(sleeps_.at(0), std::chrono::milliseconds(75));  // 100 ms * jitter 0.75
  EXPECT_EQ(sleeps_.at(1), std::chrono::milliseconds(150));
  EXPECT_EQ(find(report, "isolation.select", "Order Items").outcome, CheckOutcome::Passed);
  holder.abort();
  EXPECT_TRUE(verify().passed()) << lastReport_;
}

// A table lock that blocks the probe's row lock: lock_timeout (spec.ddl.lockTimeout), retries,
// then Failed.
TEST_F(VerifyIsolation, ProbeBlockedByALockTimeoutIsRetriedThenNotProven) {
  createMigratedDatabase();
  spec_.ddl.lockTimeout = std::chrono::milliseconds(20);
  auto other = otherSession();
  pqxx::work holder(*other);
  holder.exec("LOCK TABLE \"Order Items\" IN EXCLUSIVE MODE");  // reads still run
  VerifyReport report = verify();
  const CheckResult& isolation = find(report, "isolation", "Order Items");
  EXPECT_EQ(isolation.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(isolation, "isolation not proven")) << isolation.detail;
  EXPECT_TRUE(mentions(isolation, "55P03")) << isolation.detail;
  EXPECT_EQ(find(report, "data.row-count", "Order Items").outcome, CheckOutcome::Passed);
  holder.abort();
}

// An existing tenants table the verifier's setup must not trip over: a short slug with a CHECK,
// an extra NOT NULL column without default, and a single tenant.
TEST_F(VerifyIsolation, SetupNeedsNoProbeTenantWhateverTheTenantsTableLooksLike) {
  sql("CREATE ROLE " + role() +
      " LOGIN;"
      "CREATE TABLE tenants (id uuid PRIMARY KEY, slug varchar(12) NOT NULL UNIQUE "
      "  CHECK (slug ~ '^[a-z]{3,12}$'), region text NOT NULL, plan_code int NOT NULL "
      "  CHECK (plan_code BETWEEN 1 AND 3));"
      "INSERT INTO tenants VALUES ('" +
      std::string(kDefaultTenant) +
      "', 'default', 'eu', 2);"
      "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT "
      "  NULL, tenant_id uuid NOT NULL REFERENCES tenants (id), words int GENERATED ALWAYS AS "
      "  (length(body)) STORED);"
      "CREATE INDEX ON notes (tenant_id);"
      "INSERT INTO notes (body, tenant_id) VALUES ('a', '" +
      kDefaultTenant + "'), ('bb', '" + kDefaultTenant +
      "');"
      "GRANT USAGE ON SCHEMA public TO " +
      role() + "; GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO " + role() +
      "; GRANT SELECT ON tenants TO " + role() + ";");
  enableRls("notes");
  createPolicies("notes", "tenant_id", false);
  enableRls("tenants");
  createPolicies("tenants", "id", false);
  plan::TableDecision notes;
  notes.table = "notes";
  plan_.decisions = {notes};
  baseline_ = {{"notes", 2}};
  VerifyReport report = verify();
  EXPECT_TRUE(report.passed()) << lastReport_;
  for (const std::string check :
       {"isolation.select", "isolation.update", "isolation.delete", "isolation.insert",
        "isolation.on-conflict", "isolation.update-move"}) {
    EXPECT_EQ(find(report, check, "notes").outcome, CheckOutcome::Passed) << check;
    EXPECT_EQ(find(report, check, "tenants").outcome, CheckOutcome::Passed) << check;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "1");
}

TEST_F(VerifyIsolation, EmptyTablePassesOnlyWithExactlyTenantshiftsPolicies) {
  createMigratedDatabase();
  sql("CREATE TABLE audit (id bigint PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants);"
      "CREATE INDEX ON audit (tenant_id); GRANT SELECT, INSERT ON audit TO " +
      role() + ";");
  enableRls("audit");
  createPolicies("audit", "tenant_id", false);
  plan::TableDecision audit;
  audit.table = "audit";
  plan_.decisions.push_back(audit);
  baseline_["audit"] = 0;
  const CheckResult exact = find(verify(), "isolation", "audit");
  EXPECT_EQ(exact.outcome, CheckOutcome::Passed) << lastReport_;
  EXPECT_TRUE(mentions(exact, "exactly tenantshift's")) << exact.detail;

  sql("DROP POLICY tenantshift_select ON audit; CREATE POLICY tenantshift_select ON audit FOR "
      "SELECT USING (tenant_id IS NOT NULL);");
  const CheckResult changed = find(verify(), "isolation", "audit");
  EXPECT_EQ(changed.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(changed, "isolation not proven")) << changed.detail;
  EXPECT_TRUE(mentions(changed, "tenantshift_select USING ((tenant_id IS NOT NULL))"))
      << changed.detail;

  // The strict form admits fewer rows: right in both modes. The transition form is wrong once
  // strict.
  sql("DROP POLICY tenantshift_select ON audit; DROP POLICY tenantshift_insert ON audit; DROP "
      "POLICY tenantshift_update ON audit; DROP POLICY tenantshift_delete ON audit;");
  createPolicies("audit", "tenant_id", true);
  EXPECT_EQ(find(verify(/*strict=*/false), "isolation", "audit").outcome, CheckOutcome::Passed)
      << lastReport_;
  EXPECT_EQ(find(verify(/*strict=*/true), "isolation", "audit").outcome, CheckOutcome::Passed)
      << lastReport_;
  sql("DROP POLICY tenantshift_select ON audit; CREATE POLICY tenantshift_select ON audit FOR "
      "SELECT USING (" +
      tenantCondition("tenant_id", false) + ");");
  EXPECT_EQ(find(verify(/*strict=*/true), "isolation", "audit").outcome, CheckOutcome::Failed)
      << lastReport_;
}

}  // namespace
}  // namespace tenantshift::verify
