#include "engine/verifier.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "engine/verify_report_format.h"
#include "plan/catalog.h"
#include "plan/plan.h"
#include "plan/sql_identifier.h"
#include "support/postgres_server.h"

namespace tenantshift::engine {
namespace {

using testing::PostgresServer;

constexpr const char* kDefaultTenant = "00000000-0000-0000-0000-000000000001";
constexpr const char* kAcme = "00000000-0000-0000-0000-000000000002";

// A hand-made migrated database: tenants, users and "Order Items" (capitals and a space) with
// tenant_id, ENABLE + FORCE row-level security, the four tenantshift policies and an
// application role (its name has capitals, a space and a quote) that owns nothing.
class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().createDatabase("verify");
    std::string database = url_.substr(url_.rfind('/') + 1);
    appRole_ = "App \"Role\" " + database;
    spec_.database.appRole = appRole_;
    spec_.tenant.idType = api::TenantIdType::Uuid;
    plan::TableDecision users;
    users.table = "users";
    users.source = "default tenant";
    plan::TableDecision items;
    items.table = "Order Items";
    items.source = "parent users via (user_id)";
    items.parent = "users";
    plan_.decisions = {users, items};
    baseline_ = {{"users", 6}, {"Order Items", 8}};
    connection_ = std::make_unique<pqxx::connection>(url_);
  }

  std::string role() const { return plan::quoteIdent(appRole_); }

  // `strict`: policies without the transition clause (no tenant set: no rows).
  void createMigratedDatabase(bool strict = false) {
    sql("CREATE ROLE " + role() +
        " LOGIN;"
        "CREATE TABLE tenants (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT "
        "NULL);"
        "INSERT INTO tenants VALUES ('" +
        std::string(kDefaultTenant) + "', 'default', 'Default Tenant'), ('" + kAcme +
        "', 'acme', 'Acme');"
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, "
        "  tenant_id uuid NOT NULL REFERENCES tenants (id));"
        "CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email);"
        "CREATE TABLE \"Order Items\" (id bigint PRIMARY KEY, "
        "  user_id bigint NOT NULL REFERENCES users (id), \"Qty\" int, "
        "  tenant_id uuid NOT NULL REFERENCES tenants (id));"
        "CREATE INDEX \"Order Items_tenant\" ON \"Order Items\" (tenant_id);"
        "INSERT INTO users SELECT g, 'user' || g || '@example.com', "
        "  CASE WHEN g <= 4 THEN '" +
        kDefaultTenant + "'::uuid ELSE '" + kAcme +
        "'::uuid END FROM generate_series(1, 6) g;"
        "INSERT INTO \"Order Items\" SELECT g, 1 + (g % 6), g, u.tenant_id "
        "  FROM generate_series(1, 8) g JOIN users u ON u.id = 1 + (g % 6);"
        "GRANT USAGE ON SCHEMA public TO " +
        role() +
        ";"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, \"Order Items\" TO " +
        role() + ";");
    for (const std::string table : {"users", "\"Order Items\""}) {
      sql("ALTER TABLE " + table +
          " ENABLE ROW LEVEL SECURITY;"
          "ALTER TABLE " +
          table + " FORCE ROW LEVEL SECURITY;");
      createPolicies(table, strict);
    }
  }

  void createPolicies(const std::string& table, bool strict) {
    std::string current =
        "(SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)";
    std::string matches = "(tenant_id = " + current + ")";
    if (!strict) {
      matches = "(" + matches + " OR " + current + " IS NULL)";
    }
    sql("CREATE POLICY tenantshift_select ON " + table + " FOR SELECT USING " + matches +
        ";"
        "CREATE POLICY tenantshift_insert ON " +
        table + " FOR INSERT WITH CHECK " + matches +
        ";"
        "CREATE POLICY tenantshift_update ON " +
        table + " FOR UPDATE USING " + matches + " WITH CHECK " + matches +
        ";"
        "CREATE POLICY tenantshift_delete ON " +
        table + " FOR DELETE USING " + matches + ";");
  }

  void sql(const std::string& text) { PostgresServer::shared().psql(url_, text); }

  VerifyReport verify(bool strict = false) {
    VerifyReport report = verifyMigration(*connection_, spec_, before_, plan_, baseline_, strict);
    lastReport_ = formatReport(report);
    return report;
  }

  // The one result of `check` for `table`; fails the test when there is not exactly one.
  const CheckResult& find(const VerifyReport& report, const std::string& check,
                          const std::string& table) {
    const CheckResult* found = nullptr;
    int matches = 0;
    for (const auto& result : report.checks) {
      if (result.check == check && result.table == table) {
        found = &result;
        ++matches;
      }
    }
    if (matches != 1) {
      ADD_FAILURE() << matches << " results for " << check << " " << table << "\n" << lastReport_;
      static const CheckResult missing{"missing", "", CheckOutcome::Failed, ""};
      return missing;
    }
    return *found;
  }

  std::string scalar(const std::string& query) {
    pqxx::work tx(*connection_);
    auto value = tx.exec1(query)[0].as<std::string>();
    tx.commit();
    return value;
  }

  std::string url_;
  std::string appRole_;
  api::MigrationSpec spec_;
  plan::Catalog before_;
  plan::Plan plan_;
  std::map<std::string, std::int64_t> baseline_;
  std::unique_ptr<pqxx::connection> connection_;
  std::string lastReport_;
};

TEST_F(VerifierTest, CorrectlyMigratedDatabasePassesEveryCheck) {
  createMigratedDatabase();
  VerifyReport report = verify();
  EXPECT_TRUE(report.passed()) << lastReport_;
  EXPECT_EQ(report.count(CheckOutcome::Failed), 0U) << lastReport_;
  EXPECT_EQ(report.count(CheckOutcome::Warning), 0U) << lastReport_;
  for (const std::string table : {"users", "Order Items"}) {
    for (const std::string check :
         {"rls.enabled", "rls.forced", "rls.policies", "isolation.select", "isolation.update",
          "isolation.delete", "isolation.insert", "isolation.update-move", "setting.unset",
          "setting.empty", "data.row-count", "data.tenant-sum", "data.null-tenant", "data.orphans",
          "index.tenant-filter"}) {
      EXPECT_EQ(find(report, check, table).outcome, CheckOutcome::Passed)
          << check << " " << table << "\n"
          << lastReport_;
    }
  }
  EXPECT_EQ(find(report, "role.not-owner", "").outcome, CheckOutcome::Passed);
  EXPECT_NE(find(report, "isolation.insert", "users").detail.find("row-level security"),
            std::string::npos)
      << lastReport_;
  auto json = report.toJson();
  EXPECT_TRUE(json["passed"].get<bool>());
  EXPECT_EQ(json["checks"].size(), report.checks.size());
  EXPECT_EQ(json["summary"]["failed"].get<int>(), 0);
}

TEST_F(VerifierTest, LeavesNoTrace) {
  createMigratedDatabase();
  const std::string fingerprint =
      "SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM tenants t) || "
      "(SELECT md5(string_agg(u::text, ',' ORDER BY u.id)) FROM users u) || "
      "(SELECT md5(string_agg(o::text, ',' ORDER BY o.id)) FROM \"Order Items\" o) || "
      "(SELECT count(*) FROM tenants)::text";
  std::string beforeVerify = scalar(fingerprint);
  std::string userBefore = scalar("SELECT current_user");
  VerifyReport report = verify();
  ASSERT_TRUE(report.passed()) << lastReport_;
  EXPECT_EQ(scalar(fingerprint), beforeVerify);
  EXPECT_EQ(scalar("SELECT current_user"), userBefore);
  EXPECT_EQ(scalar("SELECT coalesce(current_setting('app.current_tenant_id', true), '')"), "");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname LIKE 'tenantshift_verify%'"), "0");
  // And it can run again on the same connection with the same result.
  EXPECT_TRUE(verify().passed()) << lastReport_;
}

TEST_F(VerifierTest, ExtraPermissivePolicyFailsIsolation) {
  createMigratedDatabase();
  sql("CREATE POLICY open_read ON users FOR SELECT USING (true);");
  VerifyReport report = verify();
  EXPECT_FALSE(report.passed());
  const CheckResult& select = find(report, "isolation.select", "users");
  EXPECT_EQ(select.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_NE(select.detail.find("rows of other tenants"), std::string::npos) << select.detail;
  EXPECT_NE(select.detail.find("\"open_read\""), std::string::npos) << select.detail;
  EXPECT_EQ(find(report, "data.tenant-sum", "users").outcome, CheckOutcome::Failed);
  // The other table is unaffected.
  EXPECT_EQ(find(report, "isolation.select", "Order Items").outcome, CheckOutcome::Passed)
      << lastReport_;
}

TEST_F(VerifierTest, InsertPolicyThatIgnoresTheTenantFailsInsert) {
  createMigratedDatabase();
  sql("DROP POLICY tenantshift_insert ON \"Order Items\";"
      "CREATE POLICY tenantshift_insert ON \"Order Items\" FOR INSERT WITH CHECK (true);"
      "DROP POLICY tenantshift_update ON \"Order Items\";"
      "CREATE POLICY tenantshift_update ON \"Order Items\" FOR UPDATE "
      "USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), "
      "'')::uuid)) WITH CHECK (true);");
  VerifyReport report = verify();
  EXPECT_FALSE(report.passed());
  const CheckResult& insert = find(report, "isolation.insert", "Order Items");
  EXPECT_EQ(insert.outcome, CheckOutcome::Failed) << lastReport_;
  // The copy collides with the original's primary key: the policy did not stop it first.
  EXPECT_NE(insert.detail.find("not stopped by row-level security"), std::string::npos)
      << insert.detail;
  EXPECT_NE(insert.detail.find("duplicate key"), std::string::npos) << insert.detail;
  // An UPDATE that reads the row (WHERE) must also leave it visible under the SELECT policy,
  // which PostgreSQL checks on the new row, so the move is still refused.
  EXPECT_EQ(find(report, "isolation.update-move", "Order Items").outcome, CheckOutcome::Passed)
      << lastReport_;
  EXPECT_EQ(find(report, "isolation.insert", "users").outcome, CheckOutcome::Passed);
}

TEST_F(VerifierTest, UpdatePolicyWithoutCheckFailsUpdateMoveWhenTheMovedRowStaysVisible) {
  createMigratedDatabase();
  // Rows of tenant B stay visible (a broken SELECT policy) and UPDATE has no WITH CHECK.
  sql("DROP POLICY tenantshift_update ON users;"
      "CREATE POLICY tenantshift_update ON users FOR UPDATE USING (true) WITH CHECK (true);"
      "CREATE POLICY open_read ON users FOR SELECT USING (true);");
  VerifyReport report = verify();
  EXPECT_EQ(find(report, "isolation.update-move", "users").outcome, CheckOutcome::Failed)
      << lastReport_;
  EXPECT_EQ(find(report, "isolation.update", "users").outcome, CheckOutcome::Failed) << lastReport_;
}

TEST_F(VerifierTest, EnabledButNotForcedFailsRlsForced) {
  createMigratedDatabase();
  sql("ALTER TABLE \"Order Items\" NO FORCE ROW LEVEL SECURITY;");
  VerifyReport report = verify();
  EXPECT_FALSE(report.passed());
  const CheckResult& forced = find(report, "rls.forced", "Order Items");
  EXPECT_EQ(forced.outcome, CheckOutcome::Failed);
  EXPECT_NE(forced.detail.find("FORCE ROW LEVEL SECURITY"), std::string::npos);
  EXPECT_EQ(find(report, "rls.enabled", "Order Items").outcome, CheckOutcome::Passed);
  EXPECT_EQ(find(report, "rls.forced", "users").outcome, CheckOutcome::Passed);
}

TEST_F(VerifierTest, MissingPoliciesAreNamed) {
  createMigratedDatabase();
  sql("DROP POLICY tenantshift_delete ON users;");
  VerifyReport report = verify();
  const CheckResult& policies = find(report, "rls.policies", "users");
  EXPECT_EQ(policies.outcome, CheckOutcome::Failed);
  EXPECT_NE(policies.detail.find("covers DELETE"), std::string::npos) << policies.detail;
}

TEST_F(VerifierTest, AppRoleThatOwnsATableFails) {
  createMigratedDatabase();
  sql("ALTER TABLE users OWNER TO " + role() + ";");
  VerifyReport report = verify();
  EXPECT_FALSE(report.passed());
  const CheckResult& owner = find(report, "role.not-owner", "");
  EXPECT_EQ(owner.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_NE(owner.detail.find("users"), std::string::npos) << owner.detail;
}

TEST_F(VerifierTest, AppRoleWithBypassRlsFails) {
  createMigratedDatabase();
  sql("ALTER ROLE " + role() + " BYPASSRLS;");
  VerifyReport report = verify();
  EXPECT_EQ(find(report, "role.no-bypassrls", "").outcome, CheckOutcome::Failed);
  EXPECT_EQ(find(report, "isolation.select", "users").outcome, CheckOutcome::Failed);
}

TEST_F(VerifierTest, SuperuserAppRoleFails) {
  createMigratedDatabase();
  sql("ALTER ROLE " + role() + " SUPERUSER;");
  VerifyReport report = verify();
  EXPECT_EQ(find(report, "role.not-superuser", "").outcome, CheckOutcome::Failed);
}

TEST_F(VerifierTest, MissingAppRoleFails) {
  createMigratedDatabase();
  spec_.database.appRole = "no such role";
  VerifyReport report = verify();
  const CheckResult& exists = find(report, "role.exists", "");
  EXPECT_EQ(exists.outcome, CheckOutcome::Failed);
  EXPECT_NE(exists.detail.find("spec.database.appRole"), std::string::npos);
}

TEST_F(VerifierTest, NullTenantIdsAreReported) {
  createMigratedDatabase();
  sql("ALTER TABLE users ALTER COLUMN tenant_id DROP NOT NULL;"
      "UPDATE users SET tenant_id = NULL WHERE id IN (3, 4);");
  VerifyReport report = verify();
  EXPECT_FALSE(report.passed());
  const CheckResult& nulls = find(report, "data.null-tenant", "users");
  EXPECT_EQ(nulls.outcome, CheckOutcome::Failed);
  EXPECT_EQ(nulls.detail.rfind("2 rows have a NULL", 0), 0U) << nulls.detail;
}

TEST_F(VerifierTest, RowWhoseTenantDiffersFromItsParentIsAnOrphan) {
  createMigratedDatabase();
  sql("UPDATE \"Order Items\" SET tenant_id = '" + std::string(kAcme) + "' WHERE id = 1;");
  VerifyReport report = verify();
  const CheckResult& orphans = find(report, "data.orphans", "Order Items");
  EXPECT_EQ(orphans.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_NE(orphans.detail.find("1 rows whose"), std::string::npos) << orphans.detail;
  EXPECT_EQ(find(report, "data.orphans", "users").outcome, CheckOutcome::Passed);
}

TEST_F(VerifierTest, RowCountDifferentFromBaselineIsAWarning) {
  createMigratedDatabase();
  baseline_["users"] = 5;
  VerifyReport report = verify();
  const CheckResult& count = find(report, "data.row-count", "users");
  EXPECT_EQ(count.outcome, CheckOutcome::Warning);
  EXPECT_NE(count.detail.find("6 rows now, 5 before"), std::string::npos) << count.detail;
  EXPECT_TRUE(report.passed()) << lastReport_;
}

TEST_F(VerifierTest, UniqueConstraintWithoutTenantColumnIsReported) {
  createMigratedDatabase();
  sql("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);");
  VerifyReport report = verify();
  EXPECT_FALSE(report.passed());
  bool reported = false;
  for (const auto& check : report.checks) {
    if (check.check == "unique.includes-tenant" && check.table == "users" &&
        check.outcome == CheckOutcome::Failed) {
      reported = check.detail.find("users_email_key") != std::string::npos;
    }
  }
  EXPECT_TRUE(reported) << lastReport_;

  // Kept global on purpose: passes.
  api::TableSpec users;
  users.name = "users";
  users.keepUnique = {"users_email_key"};
  api::TableSpec items;
  items.name = "Order Items";
  spec_.tables = std::vector<api::TableSpec>{users, items};
  EXPECT_TRUE(verify().passed()) << lastReport_;
}

TEST_F(VerifierTest, TenantFilterWithoutIndexFails) {
  createMigratedDatabase();
  sql("DROP INDEX \"Order Items_tenant\";");
  VerifyReport report = verify();
  const CheckResult& index = find(report, "index.tenant-filter", "Order Items");
  EXPECT_EQ(index.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_NE(index.detail.find("CREATE INDEX CONCURRENTLY"), std::string::npos);
  // users_tenant_email leads with tenant_id and serves the filter.
  EXPECT_EQ(find(report, "index.tenant-filter", "users").outcome, CheckOutcome::Passed)
      << lastReport_;
}

TEST_F(VerifierTest, ViewWithoutSecurityInvokerIsAWarning) {
  createMigratedDatabase();
  sql("CREATE VIEW \"User Emails\" AS SELECT id, email FROM users;"
      "CREATE VIEW safe_emails WITH (security_invoker = true) AS SELECT id, email FROM users;"
      "CREATE VIEW nested AS SELECT * FROM safe_emails;"
      "GRANT SELECT ON \"User Emails\", safe_emails, nested TO " +
      role() + ";");
  VerifyReport report = verify();
  EXPECT_TRUE(report.passed()) << lastReport_;
  const CheckResult& view = find(report, "views.security_invoker", "\"public\".\"User Emails\"");
  EXPECT_EQ(view.outcome, CheckOutcome::Warning);
  EXPECT_NE(view.detail.find("bypasses RLS; set security_invoker = true"), std::string::npos)
      << view.detail;
  EXPECT_EQ(find(report, "views.security_invoker", "\"public\".\"safe_emails\"").outcome,
            CheckOutcome::Passed);
  // A plain view over an invoker view still reads the table as its own owner.
  EXPECT_EQ(find(report, "views.security_invoker", "\"public\".\"nested\"").outcome,
            CheckOutcome::Warning);
}

TEST_F(VerifierTest, TransitionPoliciesFailStrictMode) {
  createMigratedDatabase(/*strict=*/false);
  VerifyReport report = verify(/*strict=*/true);
  EXPECT_FALSE(report.passed());
  for (const std::string check : {"setting.unset", "setting.empty"}) {
    const CheckResult& result = find(report, check, "users");
    EXPECT_EQ(result.outcome, CheckOutcome::Failed) << lastReport_;
    EXPECT_NE(result.detail.find("sees 6 rows"), std::string::npos) << result.detail;
  }
}

TEST_F(VerifierTest, StrictPoliciesPassStrictModeAndFailTransitionMode) {
  createMigratedDatabase(/*strict=*/true);
  VerifyReport strict = verify(/*strict=*/true);
  EXPECT_TRUE(strict.passed()) << lastReport_;
  EXPECT_EQ(strict.count(CheckOutcome::Warning), 0U) << lastReport_;

  VerifyReport transition = verify(/*strict=*/false);
  EXPECT_FALSE(transition.passed());
  const CheckResult& unset = find(transition, "setting.unset", "Order Items");
  EXPECT_EQ(unset.outcome, CheckOutcome::Failed);
  EXPECT_NE(unset.detail.find("sees 0 of 8 rows"), std::string::npos) << unset.detail;
}

TEST_F(VerifierTest, PolicyThatErrorsWithEmptySettingFails) {
  createMigratedDatabase();
  // Without NULLIF, '' cannot be cast to uuid: the application would get errors.
  sql("DROP POLICY tenantshift_select ON users;"
      "CREATE POLICY tenantshift_select ON users FOR SELECT USING (tenant_id = "
      "current_setting('app.current_tenant_id', true)::uuid OR "
      "current_setting('app.current_tenant_id', true) IS NULL);");
  VerifyReport report = verify();
  const CheckResult& empty = find(report, "setting.empty", "users");
  EXPECT_EQ(empty.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_NE(empty.detail.find("fails"), std::string::npos) << empty.detail;
}

TEST_F(VerifierTest, TooFewRowsIsAWarning) {
  createMigratedDatabase();
  sql("DELETE FROM \"Order Items\" WHERE id > 1;");
  baseline_["Order Items"] = 1;
  VerifyReport report = verify();
  const CheckResult& isolation = find(report, "isolation", "Order Items");
  EXPECT_EQ(isolation.outcome, CheckOutcome::Warning);
  EXPECT_NE(isolation.detail.find("too few rows to probe"), std::string::npos);
}

TEST_F(VerifierTest, BigintTenantIdsAreProbedWithANewTenant) {
  sql("CREATE ROLE " + role() +
      " LOGIN;"
      "CREATE TABLE tenants (id bigint PRIMARY KEY, slug text NOT NULL UNIQUE, name text);"
      "INSERT INTO tenants VALUES (1, 'default', 'Default'), (7, 'seven', 'Seven');"
      "CREATE TABLE notes (id serial PRIMARY KEY, body text, tenant_id bigint NOT NULL "
      "  DEFAULT 1 REFERENCES tenants (id));"
      "CREATE INDEX ON notes (tenant_id);"
      "INSERT INTO notes (body, tenant_id) VALUES ('a', 1), ('b', 1), ('c', 7);"
      "GRANT USAGE ON SCHEMA public TO " +
      role() +
      ";"
      "GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO " +
      role() +
      ";"
      "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;"
      "ALTER TABLE notes FORCE ROW LEVEL SECURITY;"
      "CREATE POLICY tenantshift_all ON notes USING (tenant_id = (SELECT "
      "NULLIF(current_setting('app.current_tenant_id', true), '')::bigint)) WITH CHECK "
      "(tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), "
      "'')::bigint));");
  spec_.tenant.idType = api::TenantIdType::Bigint;
  spec_.tenant.defaultTenant.id = "1";
  plan::TableDecision notes;
  notes.table = "notes";
  notes.source = "default tenant";
  plan_.decisions = {notes};
  baseline_ = {{"notes", 3}};
  VerifyReport report = verify(/*strict=*/true);
  EXPECT_TRUE(report.passed()) << lastReport_;
  EXPECT_EQ(find(report, "isolation.insert", "notes").outcome, CheckOutcome::Passed);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "2");
}

TEST(VerifyReportTest, FormatPutsFailuresFirstAndCounts) {
  VerifyReport report;
  report.checks = {{"rls.enabled", "users", CheckOutcome::Passed, "ok"},
                   {"views.security_invoker", "v", CheckOutcome::Warning, "set it"},
                   {"rls.forced", "users", CheckOutcome::Failed, "not forced"}};
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.count(CheckOutcome::Passed), 1U);
  std::string text = formatReport(report);
  EXPECT_EQ(text.rfind("Verification FAILED: 1 failed, 1 warning(s), 1 passed", 0), 0U) << text;
  auto failed = text.find("[rls.forced] users: not forced");
  auto warning = text.find("[views.security_invoker] v: set it");
  auto passed = text.find("[rls.enabled] users: ok");
  ASSERT_NE(failed, std::string::npos) << text;
  EXPECT_LT(failed, warning);
  EXPECT_LT(warning, passed);
  EXPECT_EQ(report.toJson()["checks"][2]["outcome"], "failed");
}

}  // namespace
}  // namespace tenantshift::engine
