#include "verify/fingerprint.h"

#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyFingerprint = VerifyTest;

TEST_F(VerifyFingerprint, ChangesWithWhatTheVerdictDependsOnAndNotWithData) {
  createMigratedDatabase();
  sql("CREATE VIEW user_emails WITH (security_invoker = true) AS SELECT id, email FROM users;");
  const FingerprintScope scope = fingerprintScope(spec_, plan_);
  auto fingerprint = [&] { return schemaFingerprint(*admin_, scope); };
  const std::string first = fingerprint();
  EXPECT_EQ(first.size(), 32U);
  EXPECT_EQ(fingerprint(), first);
  EXPECT_EQ(verify().fingerprint, first);

  sql("INSERT INTO users VALUES (7, 'new@example.com', '" + std::string(kAcme) +
      "'); UPDATE \"Order Items\" SET \"Qty\" = 0; ANALYZE users;");
  EXPECT_EQ(fingerprint(), first) << "data and statistics are not part of it";

  std::string previous = first;
  auto changes = [&](const std::string& change) {
    sql(change);
    const std::string now = fingerprint();
    EXPECT_NE(now, previous) << change;
    previous = now;
  };
  changes("ALTER POLICY tenantshift_select ON users USING (true);");
  changes("ALTER VIEW user_emails SET (security_invoker = false);");
  changes("GRANT TRUNCATE ON users TO " + role() + ";");
  changes("ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;");
  changes("CREATE INDEX users_email ON users (email);");
  changes("ALTER ROLE " + role() + " SET app.current_tenant_id = '" + kAcme + "';");
  changes("CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';");
  changes("CREATE TABLE users_2026 (LIKE users); CREATE TABLE feature_flags (name text);");
  changes("CREATE SCHEMA tenantshift; GRANT USAGE ON SCHEMA tenantshift TO " + role() + ";");
}

TEST_F(VerifyFingerprint, SchemaChangedWhileVerifyRanFails) {
  createMigratedDatabase();
  options_.afterRelationProbed = [&](const std::string& relation) {
    if (relation == "users") {
      sql("CREATE POLICY open_read ON \"Order Items\" FOR SELECT USING (true);");
    }
  };
  VerifyReport report = verify();
  const CheckResult& stable = find(report, "verify.schema-stable", "");
  EXPECT_EQ(stable.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(stable, "the schema changed while verify ran")) << stable.detail;
}

}  // namespace
}  // namespace tenantshift::verify
