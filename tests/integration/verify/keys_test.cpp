#include "verify_fixture.h"

namespace tenantshift::verify {
namespace {

using VerifyKeys = VerifyTest;

TEST_F(VerifyKeys, GlobalUniqueKeyFailsUntilKeptGlobal) {
  createMigratedDatabase();
  sql("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);");
  api::TableSpec users;
  users.name = "users";
  spec_.tables = std::vector<api::TableSpec>{users};
  VerifyReport report = verify();
  const CheckResult& key = findMentioning(report, "keys.unique", "users", "users_email_key");
  EXPECT_EQ(key.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(key.exposure);
  EXPECT_TRUE(mentions(key, "add keepUnique: [users_email_key] to spec.tables[0] (users)"))
      << key.detail;
  // Reported once, under keys.unique, not again as a side channel.
  for (const CheckResult* item : all(report, "keys.leading-tenant", "users")) {
    EXPECT_FALSE(mentions(*item, "users_email_key")) << item->detail;
  }

  (*spec_.tables)[0].keepUnique = {"users_email_key"};
  VerifyReport kept = verify();
  const CheckResult& accepted = findMentioning(kept, "keys.unique", "users", "users_email_key");
  EXPECT_EQ(accepted.outcome, CheckOutcome::Accepted) << lastReport_;
  EXPECT_EQ(accepted.acceptedBy, "spec.tables[0].keepUnique");
  EXPECT_TRUE(kept.isolated()) << lastReport_;
}

TEST_F(VerifyKeys, IndexNotLeadingWithTheTenantIsASideChannelUntilKept) {
  createMigratedDatabase();
  sql("CREATE INDEX users_email ON users (email);");
  VerifyReport report = verify();
  const CheckResult& index = findMentioning(report, "keys.leading-tenant", "users", "users_email");
  EXPECT_EQ(index.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(index, "Rows Removed by Filter")) << index.detail;
  EXPECT_TRUE(mentions(index, "add spec.tables: [{name: users, keepIndexes: [users_email]}]"))
      << index.detail;

  api::TableSpec users;
  users.name = "users";
  users.keepIndexes = {"users_email"};
  spec_.tables = std::vector<api::TableSpec>{users};
  VerifyReport kept = verify();
  const CheckResult& accepted =
      findMentioning(kept, "keys.leading-tenant", "users", "\"users_email\" (email)");
  EXPECT_EQ(accepted.outcome, CheckOutcome::Accepted) << lastReport_;
  EXPECT_EQ(accepted.acceptedBy, "spec.tables[0].keepIndexes");
  EXPECT_TRUE(kept.isolated()) << lastReport_;
}

TEST_F(VerifyKeys, IndexThePlanReplacesPassesUntilTheFlagOnceItsReplacementIsBuilt) {
  createMigratedDatabase();
  sql("CREATE INDEX users_email ON users (email);"
      "CREATE INDEX users_email_tenant ON users (tenant_id, email);");
  plan::IndexReplacement replacement;
  replacement.table = "users";
  replacement.index = "users_email";
  replacement.replacement = "users_email_tenant";
  plan_.indexReplacements = {replacement};
  const CheckResult& replaced =
      findMentioning(verify(), "keys.leading-tenant", "users", "\"users_email\" (email)");
  EXPECT_EQ(replaced.outcome, CheckOutcome::Passed) << lastReport_;
  EXPECT_TRUE(mentions(replaced, "replaced after the flag")) << replaced.detail;

  sql("DROP INDEX users_email_tenant;");
  const CheckResult& missing =
      findMentioning(verify(), "keys.leading-tenant", "users", "\"users_email\" (email)");
  EXPECT_EQ(missing.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(missing, "\"users_email_tenant\", which does not exist")) << missing.detail;

  // After the flag the old index must be gone.
  sql("CREATE INDEX users_email_tenant ON users (tenant_id, email);");
  const CheckResult& strict = findMentioning(verify(/*strict=*/true), "keys.leading-tenant",
                                             "users", "\"users_email\" (email)");
  EXPECT_EQ(strict.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(strict, "the flag phase should have replaced it")) << strict.detail;
}

TEST_F(VerifyKeys, TenantFilterWithoutAnIndexFails) {
  createMigratedDatabase();
  sql("DROP INDEX \"Order Items_tenant\";");
  VerifyReport report = verify();
  const CheckResult& index = find(report, "keys.tenant-filter", "Order Items");
  EXPECT_EQ(index.outcome, CheckOutcome::Failed) << lastReport_;
  EXPECT_TRUE(mentions(index, "CREATE INDEX CONCURRENTLY")) << index.detail;
  EXPECT_EQ(find(report, "keys.tenant-filter", "users").outcome, CheckOutcome::Passed);
}

}  // namespace
}  // namespace tenantshift::verify
