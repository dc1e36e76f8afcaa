#include <gtest/gtest.h>

#include "facts_builder.h"
#include "verify/index_usage_unit.h"
#include "verify/key_checks.h"

namespace tenantshift::verify {
namespace {

RelationFacts withIndexes(std::vector<IndexFacts> indexes) {
  RelationFacts table = tenantTable("users");
  table.indexes = std::move(indexes);
  return table;
}

IndexFacts primaryKey() {
  IndexFacts key = index("users_pkey", {"id"}, true);
  key.primary = true;
  key.constraint = "users_pkey";
  return key;
}

std::vector<CheckResult> judge(const RelationFacts& table, const api::MigrationSpec& spec = {},
                               const plan::Plan& plan = {}, bool strict = false) {
  return checkKeys(spec, plan, strict, table);
}

TEST(KeyChecks, KeysAndIndexesLeadingWithTheTenantPassAndThePrimaryKeyIsAcceptedByDesign) {
  auto results =
      judge(withIndexes({primaryKey(), index("users_tenant_email", {"tenant_id", "email"}, true)}));
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].check, "keys.unique");
  EXPECT_EQ(results[0].outcome, CheckOutcome::Accepted);
  EXPECT_EQ(results[0].acceptedBy, "by design (primary key)");
  EXPECT_TRUE(results[0].exposure);
  EXPECT_EQ(results[1].outcome, CheckOutcome::Passed);
  EXPECT_TRUE(contains(results[1].detail, "\"users_tenant_email\""));
}

TEST(KeyChecks, GlobalUniqueKeyFailsUnlessKeptGlobal) {
  IndexFacts email = index("users_email_key", {"email"}, true);
  email.constraint = "users_email_key";
  auto results = judge(withIndexes({email}));
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
  EXPECT_TRUE(results[0].exposure);
  EXPECT_TRUE(contains(results[0].detail,
                       "add spec.tables: [{name: users, keepUnique: "
                       "[users_email_key]}]"))
      << results[0].detail;

  api::MigrationSpec spec;
  api::TableSpec users;
  users.name = "users";
  users.keepUnique = {"users_email_key"};
  spec.tables = std::vector<api::TableSpec>{users};
  results = judge(withIndexes({email}), spec);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Accepted);
  EXPECT_EQ(results[0].acceptedBy, "spec.tables[0].keepUnique");
}

TEST(KeyChecks, ExpressionKeyAndSpecWithoutRewriteSayWhatToDo) {
  IndexFacts lower = index("users_lower_email", {""}, true);
  EXPECT_TRUE(contains(judge(withIndexes({lower}))[0].detail, "expression columns"));
  api::MigrationSpec spec;
  spec.rewriteUniques = false;
  IndexFacts email = index("users_email_key", {"email"}, true);
  EXPECT_TRUE(contains(judge(withIndexes({email}), spec)[0].detail, "which is false in this spec"));
}

TEST(KeyChecks, IndexNotLeadingWithTheTenantFailsUnlessKept) {
  IndexFacts email = index("users_email", {"email", "tenant_id"});
  auto results = judge(withIndexes({email}));
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].check, "keys.leading-tenant");
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(results[0].detail, "Rows Removed by Filter"));
  EXPECT_TRUE(contains(results[0].detail, "keepIndexes: [users_email]"));

  api::MigrationSpec spec;
  api::TableSpec users;
  users.name = "users";
  users.keepIndexes = {"users_email"};
  spec.tables = std::vector<api::TableSpec>{users};
  results = judge(withIndexes({email}), spec);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Accepted);
  EXPECT_EQ(results[0].acceptedBy, "spec.tables[0].keepIndexes");

  // A unique key with the tenant column second still leads with something else.
  results = judge(withIndexes({index("users_email_tenant", {"email", "tenant_id"}, true)}));
  EXPECT_EQ(results[0].check, "keys.leading-tenant");
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
}

TEST(KeyChecks, PlannedReplacementPassesBeforeTheFlagOnlyWhenBuiltAndValid) {
  plan::Plan plan;
  plan::IndexReplacement replacement;
  replacement.table = "users";
  replacement.index = "users_email_key";
  replacement.replacement = "users_email_key_tenant";
  replacement.unique = true;
  replacement.constraint = true;
  plan.indexReplacements = {replacement};
  IndexFacts email = index("users_email_key_idx", {"email"}, true);
  email.constraint = "users_email_key";
  IndexFacts built = index("users_email_key_tenant", {"tenant_id", "email"}, true);

  auto results = judge(withIndexes({email, built}), {}, plan);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Passed);
  EXPECT_TRUE(contains(results[0].detail, "replaced after the flag"));

  built.valid = false;
  results = judge(withIndexes({email, built}), {}, plan);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(results[0].detail, "INVALID"));

  results = judge(withIndexes({email}), {}, plan);
  EXPECT_TRUE(contains(results[0].detail, "which does not exist"));

  built.valid = true;
  results = judge(withIndexes({email, built}), {}, plan, /*strict=*/true);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(results[0].detail, "the flag phase should have replaced it"));
}

TEST(KeyChecks, PartitionCopiesAreJudgedOnTheParentAndInvalidIndexesAreAWarning) {
  RelationFacts partition = withIndexes({index("events_a_email", {"email"})});
  partition.kind = RelationKind::Partition;
  partition.indexes[0].attachedToParent = true;
  EXPECT_TRUE(judge(partition).empty());

  IndexFacts leftover = index("users_email_ccnew", {"email"});
  leftover.valid = false;
  auto results = judge(withIndexes({leftover}));
  EXPECT_EQ(results[0].outcome, CheckOutcome::Warning);
  EXPECT_TRUE(contains(results[0].detail, "DROP INDEX CONCURRENTLY"));

  RelationFacts tenants = withIndexes({index("tenants_slug_key", {"slug"}, true)});
  tenants.kind = RelationKind::TenantsTable;
  EXPECT_TRUE(judge(tenants).empty());
}

TEST(TenantFilter, EveryScanMustUseAnIndexLeadingWithTheTenant) {
  RelationFacts parent = tenantTable("events");
  RelationFacts a = tenantTable("events_a");
  a.indexes = {index("events_a_tenant", {"tenant_id"})};
  RelationFacts b = tenantTable("events_b");
  b.indexes = {index("events_b_id", {"id"})};
  IndexUsage usage;
  usage.ran = true;
  usage.scans = {{"events_a", "", "Index Scan", "events_a_tenant"}};
  EXPECT_EQ(checkTenantFilter(parent, {parent, a, b}, "public", usage).outcome,
            CheckOutcome::Passed);
  usage.scans.push_back({"events_b", "", "Seq Scan", ""});
  usage.scans.push_back({"events_b", "", "Index Scan", "events_b_id"});
  const CheckResult failed = checkTenantFilter(parent, {parent, a, b}, "public", usage);
  EXPECT_EQ(failed.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(failed.detail, "Seq Scan on events_b")) << failed.detail;
  EXPECT_TRUE(contains(failed.detail, "\"events_b_id\", which does not lead")) << failed.detail;
  usage.ran = false;
  EXPECT_EQ(checkTenantFilter(parent, {parent}, "public", usage).outcome, CheckOutcome::Failed);
}

TEST(TenantFilter, ScansOfAPlanIncludeTheIndexBehindABitmapHeapScan) {
  const auto plan = nlohmann::json::parse(R"([{"Plan": {"Node Type": "Append", "Plans": [
      {"Node Type": "Bitmap Heap Scan", "Relation Name": "events_a", "Plans": [
        {"Node Type": "Bitmap Index Scan", "Index Name": "events_a_tenant"}]},
      {"Node Type": "Index Only Scan", "Relation Name": "events_b", "Index Name": "events_b_t"},
      {"Node Type": "Seq Scan", "Relation Name": "events_c"}]}}])");
  const auto scans = scansOf(plan);
  ASSERT_EQ(scans.size(), 3U);
  EXPECT_EQ(scans[0].relation, "events_a");
  EXPECT_EQ(scans[0].index, "events_a_tenant");
  EXPECT_EQ(scans[1].index, "events_b_t");
  EXPECT_EQ(scans[2].nodeType, "Seq Scan");
  EXPECT_EQ(scans[2].index, "");
}

}  // namespace
}  // namespace tenantshift::verify
