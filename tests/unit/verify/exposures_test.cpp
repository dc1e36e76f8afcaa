#include <gtest/gtest.h>

#include "facts_builder.h"
#include "verify/function_checks.h"
#include "verify/global_table_checks.h"
#include "verify/large_object_checks.h"
#include "verify/ledger_checks.h"
#include "verify/view_checks.h"

namespace tenantshift::verify {
namespace {

ViewFacts view(const std::string& name, bool invoker, const std::string& owner,
               std::vector<std::string> tables, std::vector<std::string> views = {}) {
  ViewFacts out;
  out.schema = "public";
  out.name = name;
  out.securityInvoker = invoker;
  out.owner = owner;
  out.appCanSelect = true;
  out.readsRelations = std::move(tables);
  out.readsViews = std::move(views);
  return out;
}

RoleMap roles() {
  RoleMap out;
  out["postgres"] = {"postgres", true, false, {}};
  out["reporting"] = {"reporting", false, false, {}};
  out["owner"] = {"owner", false, false, {"users"}};
  return out;
}

const CheckResult& resultFor(const std::vector<CheckResult>& results, const std::string& table) {
  for (const CheckResult& item : results) {
    if (item.table == table) {
      return item;
    }
  }
  static const CheckResult none = result("none", "", CheckOutcome::Failed, "");
  ADD_FAILURE() << "no result for " << table;
  return none;
}

TEST(ViewChecks, WhoReadsTheTableDecides) {
  const std::vector<RelationFacts> relations = {tenantTable("users")};
  api::MigrationSpec spec;
  std::vector<ViewFacts> views = {
      view("definer", false, "postgres", {"users"}), view("invoker", true, "postgres", {"users"}),
      view("reporting", false, "reporting", {"users"}), view("owned", false, "owner", {"users"}),
      view("hidden", false, "postgres", {"users"})};
  views.back().appCanSelect = false;
  auto results = checkViews(spec, views, roles(), relations);
  EXPECT_EQ(resultFor(results, "definer").outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(resultFor(results, "definer").detail, "a superuser"));
  EXPECT_EQ(resultFor(results, "invoker").outcome, CheckOutcome::Passed);
  EXPECT_EQ(resultFor(results, "reporting").outcome, CheckOutcome::Passed);
  EXPECT_TRUE(contains(resultFor(results, "reporting").detail, "does not bypass"));
  // users is FORCE'd: its owner is filtered too.
  EXPECT_EQ(resultFor(results, "owned").outcome, CheckOutcome::Passed);
  EXPECT_EQ(resultFor(results, "hidden").outcome, CheckOutcome::Passed);

  std::vector<RelationFacts> unforced = relations;
  unforced[0].forceRowSecurity = false;
  results = checkViews(spec, views, roles(), unforced);
  EXPECT_EQ(resultFor(results, "owned").outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(resultFor(results, "owned").detail,
                       "the owner of users, which is not "
                       "FORCE'd"));
}

TEST(ViewChecks, NestedViewsAreJudgedByTheDefinerOnThePath) {
  const std::vector<RelationFacts> relations = {tenantTable("users")};
  api::MigrationSpec spec;
  std::vector<ViewFacts> views = {
      view("inner", false, "postgres", {"users"}),
      view("outer", true, "postgres", {}, {"public.inner"}),
      view("safe", true, "postgres", {"users"}),
      view("top", false, "postgres", {}, {"public.safe"}),
      view("filtered", false, "reporting", {}, {"public.safe"}),
  };
  views[0].appCanSelect = false;
  auto results = checkViews(spec, views, roles(), relations);
  EXPECT_EQ(resultFor(results, "inner").outcome, CheckOutcome::Passed);  // not readable itself
  EXPECT_EQ(resultFor(results, "outer").outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(resultFor(results, "outer").detail, "view inner reads users"));
  EXPECT_EQ(resultFor(results, "top").outcome, CheckOutcome::Failed);
  EXPECT_EQ(resultFor(results, "filtered").outcome, CheckOutcome::Passed);

  spec.accept.views = {"public.inner", "top"};
  results = checkViews(spec, views, roles(), relations);
  EXPECT_EQ(resultFor(results, "outer").outcome, CheckOutcome::Accepted);
  EXPECT_EQ(resultFor(results, "outer").acceptedBy, "spec.accept.views");
  EXPECT_EQ(resultFor(results, "top").outcome, CheckOutcome::Accepted);
}

TEST(ViewChecks, MaterializedViewsStoreEveryTenantsRows) {
  const std::vector<RelationFacts> relations = {tenantTable("users")};
  api::MigrationSpec spec;
  ViewFacts counts = view("counts", false, "reporting", {"users"});
  counts.materialized = true;
  ViewFacts over = view("over_counts", true, "reporting", {}, {"public.counts"});
  auto results = checkViews(spec, {counts, over}, roles(), relations);
  EXPECT_EQ(resultFor(results, "counts").check, "exposure.matview");
  EXPECT_EQ(resultFor(results, "counts").outcome, CheckOutcome::Failed);
  EXPECT_EQ(resultFor(results, "over_counts").outcome, CheckOutcome::Failed);
  spec.accept.materializedViews = {"counts"};
  results = checkViews(spec, {counts, over}, roles(), relations);
  EXPECT_EQ(resultFor(results, "counts").outcome, CheckOutcome::Accepted);
  EXPECT_EQ(resultFor(results, "counts").acceptedBy, "spec.accept.materializedViews");
  EXPECT_EQ(resultFor(results, "over_counts").outcome, CheckOutcome::Accepted);
}

FunctionFacts function(const std::string& name, const std::string& owner) {
  FunctionFacts out;
  out.schema = "public";
  out.name = name;
  out.identityArguments = "customer_id integer";
  out.argumentTypes = "integer";
  out.owner = owner;
  out.appCanExecute = true;
  return out;
}

TEST(FunctionChecks, DefinerFunctionsOfBypassingOwnersFailUnlessAccepted) {
  const std::vector<RelationFacts> relations = {tenantTable("users")};
  api::MigrationSpec spec;
  spec.tenant.lookupFunction = "tenant_by_slug";
  FunctionFacts trigger = function("audit", "postgres");
  trigger.returnsTrigger = true;
  FunctionFacts hidden = function("hidden", "postgres");
  hidden.appCanExecute = false;
  auto results = checkFunctions(spec,
                                {function("balance", "postgres"), function("mine", "reporting"),
                                 function("tenant_by_slug", "postgres"), trigger, hidden},
                                roles(), relations);
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].table, "balance(integer)");
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(results[0].detail,
                       "REVOKE EXECUTE ON FUNCTION \"public\".\"balance\"("
                       "integer) FROM PUBLIC, \"\""))
      << results[0].detail;
  EXPECT_TRUE(contains(results[0].detail, "spec.accept.functions"));
  EXPECT_EQ(results[1].outcome, CheckOutcome::Accepted);
  EXPECT_EQ(results[1].acceptedBy, "by design (spec.tenant.lookupFunction)");

  for (const std::string entry : {"balance", "public.balance", "balance(integer)",
                                  "balance( integer )", "balance(customer_id integer)"}) {
    EXPECT_TRUE(functionMatches(entry, function("balance", "postgres"), "public")) << entry;
  }
  EXPECT_FALSE(functionMatches("balance(text)", function("balance", "postgres"), "public"));
  EXPECT_FALSE(functionMatches("balance", function("balance", "postgres"), "other"));
  spec.accept.functions = {"balance(integer)"};
  results = checkFunctions(spec, {function("balance", "postgres")}, roles(), relations);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Accepted);
  EXPECT_EQ(results[0].acceptedBy, "spec.accept.functions");

  results = checkFunctions(spec, {function("mine", "reporting")}, roles(), relations);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Passed);
}

TEST(LedgerChecks, PrivilegesOnTheLedgerFailWithARevokePerGrant) {
  LedgerFacts facts;
  facts.schemaExists = true;
  EXPECT_EQ(checkLedger("app", facts).outcome, CheckOutcome::Passed);
  facts.objects = {{"SCHEMA", "tenantshift", {{"app", false, {"USAGE"}}}},
                   {"TABLE", "tenantshift.step", {{"", false, {"SELECT", "INSERT"}}}},
                   {"TABLE", "tenantshift.migration", {{"app", true, {"SELECT"}}}}};
  const CheckResult check = checkLedger("app", facts);
  EXPECT_EQ(check.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(check.exposure);
  EXPECT_TRUE(contains(check.detail, "REVOKE USAGE ON SCHEMA tenantshift FROM \"app\""));
  EXPECT_TRUE(contains(check.detail,
                       "REVOKE SELECT, INSERT ON TABLE tenantshift.step FROM "
                       "PUBLIC"));
  EXPECT_TRUE(contains(check.detail, "ALTER TABLE tenantshift.migration OWNER TO"));
}

TEST(GlobalTableChecks, WritableGlobalTablesAreWarningExposuresUnlessAccepted) {
  api::MigrationSpec spec;
  std::vector<GlobalTableFacts> tables = {
      {"flags", "public.flags", {{"writers", false, {"INSERT", "UPDATE"}}}}};
  auto results = checkGlobalTables(spec, tables);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Warning);
  EXPECT_TRUE(results[0].exposure);
  EXPECT_TRUE(contains(results[0].detail,
                       "REVOKE INSERT, UPDATE ON TABLE public.flags FROM "
                       "\"writers\""));
  EXPECT_TRUE(contains(results[0].detail, "never changes privileges"));
  spec.accept.writableGlobalTables = {"flags"};
  results = checkGlobalTables(spec, tables);
  EXPECT_EQ(results[0].outcome, CheckOutcome::Accepted);
  EXPECT_EQ(checkGlobalTables(spec, {})[0].outcome, CheckOutcome::Passed);
}

TEST(LargeObjectChecks, CreatingOrReadingLargeObjectsIsAWarningExposure) {
  LargeObjectFacts facts;
  EXPECT_EQ(checkLargeObjects("app", facts).outcome, CheckOutcome::Passed);
  facts.creating = {"lo_create(oid)"};
  CheckResult check = checkLargeObjects("app", facts);
  EXPECT_EQ(check.outcome, CheckOutcome::Warning);
  EXPECT_TRUE(check.exposure);
  EXPECT_TRUE(contains(check.detail, "REVOKE EXECUTE ON FUNCTION lo_create(oid) FROM PUBLIC"));
  facts.creating.clear();
  facts.objects = 3;
  facts.readable = 2;
  check = checkLargeObjects("app", facts);
  EXPECT_TRUE(contains(check.detail, "read 2 of the 3 existing large objects")) << check.detail;
  EXPECT_FALSE(contains(check.detail, "REVOKE"));
}

}  // namespace
}  // namespace tenantshift::verify
