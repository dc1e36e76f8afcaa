// spec.featureFlag: sql, configMap or deployment, each field checked with an error naming it.
#include <gtest/gtest.h>

#include "api/spec_error.h"
#include "api/spec_json.h"
#include "api/spec_parser.h"

namespace tenantshift::api {
namespace {

MigrationSpec specWithFlag(const std::string& flag) {
  return parseTenantMigration(
             "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nmetadata: {name: m}\n"
             "spec:\n  database: {appRole: app}\n  featureFlag:\n" +
             flag)
      .spec;
}

// The SpecError the flag raises: its field and message ("" when it parses).
std::pair<std::string, std::string> errorOf(const std::string& flag) {
  try {
    specWithFlag(flag);
  } catch (const SpecError& error) {
    return {error.field(), error.what()};
  }
  return {"", ""};
}

std::string errorField(const std::string& flag) {
  return errorOf(flag).first;
}

TEST(FeatureFlagSpec, ReadsAConfigMapFlag) {
  const auto spec = specWithFlag(
      "    configMap: {namespace: shop, name: app-config, key: rls.enabled, \"on\": \"true\", "
      "\"off\": \"false\"}\n");
  ASSERT_TRUE(spec.featureFlag.configMap.has_value());
  EXPECT_FALSE(spec.featureFlag.sql.has_value());
  EXPECT_FALSE(spec.featureFlag.deployment.has_value());
  const ConfigMapFeatureFlag& flag = *spec.featureFlag.configMap;
  EXPECT_EQ(flag.ns, "shop");
  EXPECT_EQ(flag.name, "app-config");
  EXPECT_EQ(flag.key, "rls.enabled");
  EXPECT_EQ(flag.on, "true");
  EXPECT_EQ(flag.off, "false");
  EXPECT_EQ(toJson(spec)["featureFlag"],
            nlohmann::json::parse(R"({"configMap": {"namespace": "shop", "name": "app-config",
                                   "key": "rls.enabled", "on": "true", "off": "false"}})"));
}

TEST(FeatureFlagSpec, ReadsADeploymentFlagWithItsDefaults) {
  const auto spec = specWithFlag(
      "    deployment: {name: alphapulse-api, container: api, env: RLS_ENABLED, \"on\": \"true\", "
      "\"off\": \"false\"}\n");
  ASSERT_TRUE(spec.featureFlag.deployment.has_value());
  const DeploymentFeatureFlag& flag = *spec.featureFlag.deployment;
  EXPECT_EQ(flag.ns, "");  // the migration's namespace, else the context's
  EXPECT_EQ(flag.name, "alphapulse-api");
  EXPECT_EQ(flag.container, "api");
  EXPECT_EQ(flag.env, "RLS_ENABLED");
  EXPECT_EQ(flag.on, "true");
  EXPECT_EQ(flag.off, "false");
  EXPECT_EQ(flag.rolloutTimeout, std::chrono::minutes(10));
  EXPECT_FALSE(toJson(spec)["featureFlag"]["deployment"].contains("namespace"));
  EXPECT_EQ(toJson(spec)["featureFlag"]["deployment"]["rolloutTimeout"], "10m");

  const auto timed = specWithFlag(
      "    deployment: {name: api, container: api, env: RLS_ENABLED, \"on\": \"1\", \"off\": "
      "\"\", rolloutTimeout: 90s}\n");
  EXPECT_EQ(timed.featureFlag.deployment->rolloutTimeout, std::chrono::seconds(90));
  EXPECT_EQ(timed.featureFlag.deployment->off, "");  // an empty value is a value
}

TEST(FeatureFlagSpec, ItsJsonReadsBackToTheSameSpec) {
  for (const std::string flag :
       {"    configMap: {name: c, key: k, \"on\": \"1\", \"off\": \"0\"}\n",
        "    deployment: {namespace: shop, name: api, container: api, env: E, \"on\": \"1\", "
        "\"off\": \"0\", rolloutTimeout: 90s}\n",
        "    sql: {\"on\": \"SELECT 1\", \"off\": \"SELECT 0\"}\n"}) {
    const MigrationSpec spec = specWithFlag(flag);
    const MigrationSpec reread =
        parseTenantMigration(
            "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nmetadata: {name: m}\n"
            "spec: " +
            toJson(spec).dump() + "\n")
            .spec;
    EXPECT_EQ(toJson(reread), toJson(spec)) << flag;
    EXPECT_EQ(specHash(reread), specHash(spec)) << flag;
  }
  EXPECT_FALSE(toJson(MigrationSpec{}).contains("featureFlag"));
}

TEST(FeatureFlagSpec, TakesExactlyOneKind) {
  const auto both = errorOf(
      "    sql: {\"on\": \"SELECT 1\", \"off\": \"SELECT 0\"}\n"
      "    configMap: {name: c, key: k, \"on\": a, \"off\": b}\n");
  EXPECT_EQ(both.first, "spec.featureFlag");
  EXPECT_NE(both.second.find("only one of sql, configMap or deployment, not sql and configMap"),
            std::string::npos)
      << both.second;
  const auto none = errorOf("    {}\n");
  EXPECT_EQ(none.first, "spec.featureFlag");
  EXPECT_NE(none.second.find("give one of sql, configMap or deployment"), std::string::npos);
  EXPECT_EQ(errorField("    secret: {name: x}\n"), "spec.featureFlag.secret");
}

TEST(FeatureFlagSpec, NamesTheFieldOfEveryBadConfigMapValue) {
  const std::string rest = ", \"on\": a, \"off\": b}\n";
  EXPECT_EQ(errorField("    configMap: {key: k" + rest), "spec.featureFlag.configMap.name");
  EXPECT_EQ(errorField("    configMap: {name: App_Config, key: k" + rest),
            "spec.featureFlag.configMap.name");
  EXPECT_EQ(errorField("    configMap: {name: c" + rest), "spec.featureFlag.configMap.key");
  EXPECT_EQ(errorField("    configMap: {name: c, key: 'a/b'" + rest),
            "spec.featureFlag.configMap.key");
  EXPECT_EQ(errorField("    configMap: {name: c, key: k, namespace: Shop" + rest),
            "spec.featureFlag.configMap.namespace");
  EXPECT_EQ(errorField("    configMap: {name: c, key: k, \"on\": a}\n"),
            "spec.featureFlag.configMap.off");
  EXPECT_EQ(errorField("    configMap: {name: c, key: k, \"off\": a}\n"),
            "spec.featureFlag.configMap.on");
  const auto same = errorOf("    configMap: {name: c, key: k, \"on\": x, \"off\": x}\n");
  EXPECT_EQ(same.first, "spec.featureFlag.configMap.off");
  EXPECT_NE(same.second.find("the same as on"), std::string::npos) << same.second;
  EXPECT_EQ(errorField("    configMap: {name: c, key: k, container: x" + rest),
            "spec.featureFlag.configMap.container");
}

TEST(FeatureFlagSpec, NamesTheFieldOfEveryBadDeploymentValue) {
  const std::string onOff = ", \"on\": \"true\", \"off\": \"false\"";
  auto deployment = [&](const std::string& fields) {
    return errorField("    deployment: {" + fields + onOff + "}\n");
  };
  EXPECT_EQ(deployment("container: api, env: E"), "spec.featureFlag.deployment.name");
  EXPECT_EQ(deployment("name: -api, container: api, env: E"), "spec.featureFlag.deployment.name");
  EXPECT_EQ(deployment("name: api, env: E"), "spec.featureFlag.deployment.container");
  EXPECT_EQ(deployment("name: api, container: api.v2, env: E"),
            "spec.featureFlag.deployment.container");
  EXPECT_EQ(deployment("name: api, container: api"), "spec.featureFlag.deployment.env");
  EXPECT_EQ(deployment("name: api, container: api, env: 1FLAG"), "spec.featureFlag.deployment.env");
  EXPECT_EQ(deployment("name: api, container: api, env: 'A=B'"), "spec.featureFlag.deployment.env");
  EXPECT_EQ(deployment("name: api, container: api, env: E, namespace: " + std::string(64, 'a')),
            "spec.featureFlag.deployment.namespace");
  EXPECT_EQ(deployment("name: api, container: api, env: E, rolloutTimeout: 10"),
            "spec.featureFlag.deployment.rolloutTimeout");
  EXPECT_EQ(deployment("name: api, container: api, env: E, rolloutTimeout: 500ms"),
            "spec.featureFlag.deployment.rolloutTimeout");
  EXPECT_EQ(deployment("name: api, container: api, env: E, key: k"),
            "spec.featureFlag.deployment.key");
  EXPECT_EQ(deployment("name: api, container: api, env: E"), "");
}

}  // namespace
}  // namespace tenantshift::api
