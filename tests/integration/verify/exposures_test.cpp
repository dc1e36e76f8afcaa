#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyExposures = VerifyTest;

TEST_F(VerifyExposures, DefinerViewOwnedByASuperuserFailsInvokerPassesAcceptedIsListed) {
  createMigratedDatabase();
  sql("CREATE VIEW \"User Emails\" AS SELECT id, email FROM users;"
      "CREATE VIEW safe_emails WITH (security_invoker = true) AS SELECT id, email FROM users;"
      "GRANT SELECT ON \"User Emails\", safe_emails TO " +
      role() + ";");
  VerifyReport report = verify();
  const CheckResult& definer = find(report, "exposure.view", "User Emails");
  EXPECT_EQ(definer.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(definer.exposure);
  EXPECT_TRUE(mentions(definer, "reads users as its owner \"postgres\", a superuser"))
      << definer.detail;
  EXPECT_TRUE(mentions(definer,
                       "ALTER VIEW \"public\".\"User Emails\" SET (security_invoker = "
                       "true)"))
      << definer.detail;
  EXPECT_TRUE(mentions(definer, "add \"User Emails\" to spec.accept.views")) << definer.detail;
  const CheckResult& invoker = find(report, "exposure.view", "safe_emails");
  EXPECT_EQ(invoker.outcome, CheckOutcome::Passed);
  EXPECT_TRUE(mentions(invoker, "security_invoker = true")) << invoker.detail;

  spec_.accept.views = {"User Emails"};
  VerifyReport accepted = verify();
  const CheckResult& listed = find(accepted, "exposure.view", "User Emails");
  EXPECT_EQ(listed.outcome, CheckOutcome::Accepted) << lastReport_;
  EXPECT_EQ(listed.acceptedBy, "spec.accept.views");
  EXPECT_TRUE(accepted.isolated()) << lastReport_;
}

TEST_F(VerifyExposures, ViewOverAViewIsJudgedByWhoReadsTheTable) {
  createMigratedDatabase();
  sql("CREATE VIEW inner_users AS SELECT * FROM users;"  // definer, superuser
      "CREATE VIEW outer_users WITH (security_invoker = true) AS SELECT * FROM inner_users;"
      "CREATE VIEW safe_users WITH (security_invoker = true) AS SELECT * FROM users;"
      "CREATE VIEW top_users AS SELECT * FROM safe_users;"  // definer over an invoker view
      "GRANT SELECT ON inner_users, outer_users, safe_users, top_users TO " +
      role() + ";");
  VerifyReport report = verify();
  const CheckResult& outer = find(report, "exposure.view", "outer_users");
  EXPECT_EQ(outer.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(outer, "view inner_users reads users as its owner")) << outer.detail;
  // The invoker view below a definer view runs as the definer view's owner.
  const CheckResult& top = find(report, "exposure.view", "top_users");
  EXPECT_EQ(top.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_EQ(find(report, "exposure.view", "safe_users").outcome, CheckOutcome::Passed);

  // Accepting the definer view accepts the view over it.
  spec_.accept.views = {"inner_users", "top_users"};
  VerifyReport accepted = verify();
  EXPECT_EQ(find(accepted, "exposure.view", "outer_users").outcome, CheckOutcome::Accepted)
      << lastReport_;
  EXPECT_EQ(find(accepted, "exposure.view", "top_users").outcome, CheckOutcome::Accepted);
}

TEST_F(VerifyExposures, DefinerViewOfAnOwnerThatDoesNotBypassIsFilteredLikeTheApp) {
  createMigratedDatabase();
  const std::string owner = plan::quoteIdent("reporting " + database_);
  sql("CREATE ROLE " + owner + "; GRANT USAGE ON SCHEMA public TO " + owner +
      "; GRANT SELECT ON users TO " + owner +
      "; CREATE VIEW report_users AS SELECT * FROM users; ALTER VIEW report_users OWNER TO " +
      owner + "; GRANT SELECT ON report_users TO " + role() + ";");
  const CheckResult filtered = find(verify(), "exposure.view", "report_users");
  EXPECT_EQ(filtered.outcome, CheckOutcome::Passed) << lastReport_;
  EXPECT_TRUE(mentions(filtered, "does not bypass row-level security")) << filtered.detail;

  // The owner of a table that is not FORCE'd reads it unfiltered.
  sql("ALTER TABLE users OWNER TO " + owner + "; ALTER TABLE users NO FORCE ROW LEVEL SECURITY;");
  const CheckResult owns = find(verify(), "exposure.view", "report_users");
  EXPECT_EQ(owns.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(owns, "the owner of users, which is not FORCE'd")) << owns.detail;
}

TEST_F(VerifyExposures, MaterializedViewFailsUntilAccepted) {
  createMigratedDatabase();
  sql("CREATE MATERIALIZED VIEW user_counts AS SELECT tenant_id, count(*) FROM users GROUP BY 1;"
      "GRANT SELECT ON user_counts TO " +
      role() + ";");
  const CheckResult matview = find(verify(), "exposure.matview", "user_counts");
  EXPECT_EQ(matview.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(matview, "stores the rows of every tenant")) << matview.detail;
  EXPECT_TRUE(mentions(matview, "REVOKE SELECT ON \"public\".\"user_counts\" FROM " + role()))
      << matview.detail;
  spec_.accept.materializedViews = {"user_counts"};
  const CheckResult accepted = find(verify(), "exposure.matview", "user_counts");
  EXPECT_EQ(accepted.outcome, CheckOutcome::Accepted);
  EXPECT_EQ(accepted.acceptedBy, "spec.accept.materializedViews");
}

TEST_F(VerifyExposures, SecurityDefinerFunctionFailsUnlessAcceptedOrTheLookupFunction) {
  createMigratedDatabase();
  sql("CREATE FUNCTION user_count(since bigint) RETURNS bigint LANGUAGE sql SECURITY DEFINER "
      "  AS 'SELECT count(*) FROM users WHERE id >= since';"
      "CREATE FUNCTION tenant_by_slug(text) RETURNS uuid LANGUAGE sql SECURITY DEFINER "
      "  AS 'SELECT id FROM tenants WHERE slug = $1';"
      "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
      "  AS 'BEGIN RETURN NEW; END';");
  spec_.tenant.lookupFunction = "tenant_by_slug";
  VerifyReport report = verify();
  const CheckResult& function = find(report, "exposure.function", "user_count(bigint)");
  EXPECT_EQ(function.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(function, "runs as its owner \"postgres\", a superuser")) << function.detail;
  EXPECT_TRUE(mentions(function,
                       "ALTER FUNCTION \"public\".\"user_count\"(bigint) SECURITY "
                       "INVOKER"))
      << function.detail;
  EXPECT_TRUE(mentions(function, "add \"user_count(bigint)\" to spec.accept.functions"))
      << function.detail;
  const CheckResult& lookup = find(report, "exposure.function", "tenant_by_slug(text)");
  EXPECT_EQ(lookup.outcome, CheckOutcome::Accepted);
  EXPECT_EQ(lookup.acceptedBy, "by design (spec.tenant.lookupFunction)");
  EXPECT_TRUE(all(report, "exposure.function", "audit()").empty()) << lastReport_;

  // Named as pg_get_function_identity_arguments prints it.
  spec_.accept.functions = {"user_count(since bigint)"};
  const CheckResult accepted = find(verify(), "exposure.function", "user_count(bigint)");
  EXPECT_EQ(accepted.outcome, CheckOutcome::Accepted) << lastReport_;
  EXPECT_EQ(accepted.acceptedBy, "spec.accept.functions");
}

TEST_F(VerifyExposures, PrivilegesOnTheLedgerFailWithTheRevokes) {
  createMigratedDatabase();
  sql("CREATE SCHEMA tenantshift; CREATE TABLE tenantshift.step (id int);");
  EXPECT_EQ(find(verify(), "exposure.ledger", "tenantshift").outcome, CheckOutcome::Passed)
      << lastReport_;
  sql("GRANT USAGE ON SCHEMA tenantshift TO " + role() +
      "; GRANT SELECT ON tenantshift.step TO PUBLIC;");
  const CheckResult ledger = find(verify(), "exposure.ledger", "tenantshift");
  EXPECT_EQ(ledger.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(ledger.exposure);
  EXPECT_TRUE(mentions(ledger, "REVOKE USAGE ON SCHEMA tenantshift FROM " + role()))
      << ledger.detail;
  EXPECT_TRUE(mentions(ledger, "REVOKE SELECT ON TABLE tenantshift.step FROM PUBLIC"))
      << ledger.detail;
}

TEST_F(VerifyExposures, WritableExcludedTableIsAWarningExposureUntilAccepted) {
  createMigratedDatabase();
  sql("CREATE TABLE feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL);"
      "GRANT SELECT, INSERT, UPDATE ON feature_flags TO " +
      role() + ";");
  spec_.exclude = {"feature_flags"};
  VerifyReport report = verify();
  const CheckResult& global = find(report, "exposure.writable-global-table", "feature_flags");
  EXPECT_EQ(global.outcome, CheckOutcome::Warning) << lastReport_;
  EXPECT_TRUE(global.exposure);
  EXPECT_TRUE(
      mentions(global, "REVOKE INSERT, UPDATE ON TABLE public.feature_flags FROM " + role()))
      << global.detail;
  EXPECT_TRUE(report.passed()) << lastReport_;
  EXPECT_FALSE(report.isolated());
  ASSERT_EQ(report.unacceptedExposures().size(), 1U);
  EXPECT_EQ(report.unacceptedExposures().front()->table, "feature_flags");

  spec_.accept.writableGlobalTables = {"feature_flags"};
  VerifyReport accepted = verify();
  EXPECT_EQ(find(accepted, "exposure.writable-global-table", "feature_flags").outcome,
            CheckOutcome::Accepted);
  EXPECT_TRUE(accepted.isolated()) << lastReport_;
}

TEST_F(VerifyExposures, LargeObjectFunctionsThatTheAppCanRunAreAWarningExposure) {
  createMigratedDatabase();
  sql("GRANT EXECUTE ON FUNCTION lo_create(oid) TO PUBLIC;");
  VerifyReport report = verify();
  const CheckResult& objects = find(report, "exposure.large-objects", "");
  EXPECT_EQ(objects.outcome, CheckOutcome::Warning) << lastReport_;
  EXPECT_TRUE(objects.exposure);
  EXPECT_TRUE(mentions(objects, "lo_create(oid)")) << objects.detail;
  EXPECT_TRUE(mentions(objects, "outside row-level security")) << objects.detail;
  EXPECT_FALSE(report.isolated());
}

}  // namespace
}  // namespace tenantshift::verify
