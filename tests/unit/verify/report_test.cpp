#include <gtest/gtest.h>

#include "facts_builder.h"
#include "verify/spec_lines.h"
#include "verify/verify_report.h"
#include "verify/verify_report_format.h"

namespace tenantshift::verify {
namespace {

VerifyReport sample() {
  VerifyReport report;
  report.checks = {
      result("rls.enabled", "users", CheckOutcome::Passed, "ok"),
      exposureResult("exposure.writable-global-table", "flags", CheckOutcome::Warning, "revoke it"),
      exposureResult("keys.unique", "users", CheckOutcome::Accepted, "global pk",
                     "by design (primary key)"),
      result("data.row-count", "users", CheckOutcome::Warning, "7 rows now")};
  report.fingerprint = "abc";
  return report;
}

TEST(VerifyReport, AWarningExposureKeepsItPassedButNotIsolated) {
  VerifyReport report = sample();
  EXPECT_TRUE(report.passed());
  EXPECT_FALSE(report.isolated());
  ASSERT_EQ(report.unacceptedExposures().size(), 1U);
  EXPECT_EQ(report.unacceptedExposures().front()->table, "flags");
  ASSERT_EQ(report.accepted().size(), 1U);
  report.checks[1].outcome = CheckOutcome::Accepted;
  EXPECT_TRUE(report.isolated());
  report.checks.push_back(result("rls.forced", "users", CheckOutcome::Failed, "not forced"));
  EXPECT_FALSE(report.passed());
  EXPECT_FALSE(report.isolated());
}

TEST(VerifyReport, PassedExposureResultIsNoExposure) {
  EXPECT_FALSE(exposureResult("exposure.view", "v", CheckOutcome::Passed, "invoker").exposure);
  EXPECT_TRUE(exposureResult("exposure.view", "v", CheckOutcome::Failed, "definer").exposure);
}

TEST(VerifyReport, JsonGroupsAcceptedExceptionsAndCountsUnacceptedExposures) {
  auto json = sample().toJson();
  EXPECT_TRUE(json["passed"].get<bool>());
  EXPECT_FALSE(json["isolated"].get<bool>());
  EXPECT_EQ(json["fingerprint"], "abc");
  EXPECT_EQ(json["checks"].size(), 3U);
  ASSERT_EQ(json["accepted"].size(), 1U);
  EXPECT_EQ(json["accepted"][0]["acceptedBy"], "by design (primary key)");
  EXPECT_EQ(json["accepted"][0]["outcome"], "accepted");
  EXPECT_EQ(json["summary"]["unacceptedExposures"], 1);
  EXPECT_EQ(json["unacceptedExposures"][0]["table"], "flags");
  EXPECT_EQ(json["checks"][1]["exposure"], true);
}

TEST(VerifyReport, TextListsFailuresWarningsAcceptedThenPassed) {
  VerifyReport report = sample();
  report.checks.push_back(result("rls.forced", "users", CheckOutcome::Failed, "not forced"));
  const std::string text = formatReport(report);
  EXPECT_EQ(text.rfind("Verification FAILED: 1 failed, 2 warning(s), 1 accepted exception(s), 1 "
                       "passed; 1 unaccepted exposure(s)",
                       0),
            0U)
      << text;
  const auto failed = text.find("[rls.forced] users: not forced");
  const auto warning = text.find(
      "[exposure.writable-global-table] flags: revoke it (unaccepted "
      "exposure)");
  const auto accepted = text.find(
      "ACCEPTED EXCEPTIONS\n  [keys.unique] users: global pk "
      "(accepted: by design (primary key))");
  const auto passed = text.find("[rls.enabled] users: ok");
  ASSERT_NE(failed, std::string::npos) << text;
  ASSERT_NE(warning, std::string::npos) << text;
  ASSERT_NE(accepted, std::string::npos) << text;
  EXPECT_LT(failed, warning);
  EXPECT_LT(warning, accepted);
  EXPECT_LT(accepted, passed);
  EXPECT_TRUE(contains(text, "Schema fingerprint: abc")) << text;
}

TEST(VerifyReport, IsolatedTextSaysSo) {
  VerifyReport report;
  report.checks = {result("rls.enabled", "users", CheckOutcome::Passed, "ok")};
  EXPECT_TRUE(contains(formatReport(report), "Tenant isolation is proven.\n"));
}

TEST(SpecLines, TableFieldLineForAListedTableAnUnlistedOneAndNoTables) {
  api::MigrationSpec spec;
  EXPECT_EQ(tableFieldLine(spec, "rentals", "crossTenantRefs", "rentals_customer_id_fkey"),
            "add spec.tables: [{name: rentals, crossTenantRefs: [rentals_customer_id_fkey]}]");
  api::TableSpec first;
  first.name = "users";
  api::TableSpec rentals;
  rentals.name = "rentals";
  spec.tables = std::vector<api::TableSpec>{first, first, first, rentals};
  EXPECT_EQ(tableFieldLine(spec, "rentals", "crossTenantRefs", "rentals_customer_id_fkey"),
            "add crossTenantRefs: [rentals_customer_id_fkey] to spec.tables[3] (rentals)");
  EXPECT_EQ(tableFieldPath(spec, "rentals", "keepIndexes"), "spec.tables[3].keepIndexes");
  EXPECT_EQ(tableFieldLine(spec, "payments", "keepUnique", "payments_ref_key"),
            "add {name: payments, keepUnique: [payments_ref_key]} to spec.tables");
  EXPECT_EQ(tableFieldPath(spec, "payments", "keepUnique"), "spec.tables[].keepUnique");
}

TEST(SpecLines, NamesThatYamlWouldMisreadAreQuoted) {
  EXPECT_EQ(yamlName("users_email_key"), "users_email_key");
  EXPECT_EQ(yamlName("Order Items"), "\"Order Items\"");
  EXPECT_EQ(yamlName("a: b"), "\"a: b\"");
  EXPECT_EQ(yamlName("-x"), "\"-x\"");
  EXPECT_EQ(yamlName("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(acceptLine("views", "v_users"),
            "add v_users to spec.accept.views (accept: {views: [v_users]})");
}

}  // namespace
}  // namespace tenantshift::verify
