// The operator's own fields of a TenantMigration: read as the API server serves them, and
// refused with the field's name when the operator cannot act on them.
#include "controller/operator_spec.h"

#include <gtest/gtest.h>

namespace tenantshift::controller {
namespace {

nlohmann::json migration(nlohmann::json spec) {
  return {{"apiVersion", "tenantshift.dev/v1alpha1"},
          {"kind", "TenantMigration"},
          {"metadata", {{"name", "shop"}, {"namespace", "apps"}}},
          {"spec", std::move(spec)}};
}

std::string errorOf(const nlohmann::json& spec) {
  try {
    parseOperatorSpec(migration(spec));
  } catch (const OperatorSpecError& error) {
    return error.what();
  }
  return "";
}

TEST(OperatorSpec, ReadsEveryOperatorField) {
  const OperatorSpec spec = parseOperatorSpec(migration({
      {"database", {{"urlSecretRef", {{"name", "shop-db"}, {"key", "url"}}}}},
      {"paused", true},
      {"requireApproval", true},
      {"approvedPlan", "0123456789abcdef"},
      {"dependsOn", {{{"name", "platform"}}}},
      {"jobTemplate",
       {{"serviceAccountName", "migrator"},
        {"resources", {{"limits", {{"memory", "256Mi"}}}}},
        {"tolerations", {{{"key", "db"}, {"operator", "Exists"}}}},
        {"nodeSelector", {{"pool", "ops"}}},
        {"annotations", {{"team", "platform"}}},
        {"labels", {{"cost-center", "42"}}},
        {"activeDeadlineSeconds", 600},
        {"backoffLimit", 1}}},
  }));
  ASSERT_TRUE(spec.urlSecretRef.has_value());
  EXPECT_EQ(spec.urlSecretRef->name, "shop-db");
  EXPECT_EQ(spec.urlSecretRef->key, "url");
  EXPECT_TRUE(spec.paused);
  EXPECT_TRUE(spec.requireApproval);
  EXPECT_EQ(spec.approvedPlan, "0123456789abcdef");
  EXPECT_EQ(spec.dependsOn, std::vector<std::string>{"platform"});
  EXPECT_EQ(spec.jobTemplate.serviceAccountName, "migrator");
  EXPECT_EQ(spec.jobTemplate.resources["limits"]["memory"], "256Mi");
  EXPECT_EQ(spec.jobTemplate.nodeSelector["pool"], "ops");
  EXPECT_EQ(spec.jobTemplate.annotations.at("team"), "platform");
  EXPECT_EQ(spec.jobTemplate.labels.at("cost-center"), "42");
  EXPECT_EQ(spec.jobTemplate.activeDeadlineSeconds, 600);
  EXPECT_EQ(spec.jobTemplate.backoffLimit, 1);
}

TEST(OperatorSpec, DefaultsWhenTheFieldsAreAbsent) {
  const OperatorSpec spec = parseOperatorSpec(migration(nlohmann::json::object()));
  EXPECT_FALSE(spec.urlSecretRef.has_value());
  EXPECT_FALSE(spec.paused);
  EXPECT_FALSE(spec.requireApproval);
  EXPECT_TRUE(spec.dependsOn.empty());
  EXPECT_EQ(spec.jobTemplate.backoffLimit, 3);
  EXPECT_EQ(spec.jobTemplate.activeDeadlineSeconds, 6 * 3600);
}

TEST(OperatorSpec, RefusesWhatItCannotActOnNamingTheField) {
  EXPECT_EQ(errorOf({{"database", {{"urlSecretRef", {{"name", "shop-db"}}}}}}),
            "spec.database.urlSecretRef.key: required, a non-empty string");
  EXPECT_EQ(errorOf({{"dependsOn", {{{"name", ""}}}}}).rfind("spec.dependsOn[0].name:", 0), 0U);
  EXPECT_EQ(errorOf({{"dependsOn", {{{"name", "a"}}, {{"name", "shop"}}}}}),
            "spec.dependsOn[1].name: shop is this TenantMigration; it cannot wait for itself");
  EXPECT_EQ(errorOf({{"jobTemplate", {{"backoffLimit", -1}}}}),
            "spec.jobTemplate.backoffLimit: must be an integer >= 0");
  EXPECT_EQ(errorOf({{"jobTemplate", {{"activeDeadlineSeconds", 0}}}}),
            "spec.jobTemplate.activeDeadlineSeconds: must be a positive integer");
  EXPECT_EQ(errorOf({{"jobTemplate", {{"labels", {{"team", 7}}}}}}),
            "spec.jobTemplate.labels.team: must be a string");
}

}  // namespace
}  // namespace tenantshift::controller
