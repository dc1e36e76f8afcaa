// Reading and patching one environment variable of one container of a Deployment.
#include "flag/deployment_env.h"

#include <gtest/gtest.h>

#include "fake_cluster.h"
#include "flag/flag_switch_error.h"

namespace tenantshift::flag {
namespace {

using testing::deployment;

const EnvVariable kFlag{"api", "RLS_ENABLED"};

nlohmann::json patched(const nlohmann::json& object, const std::string& value) {
  const auto patch = envPatch(object, kFlag, value);
  return patch ? object.patch(patch->operations()) : object;
}

nlohmann::json apiEnv(const nlohmann::json& object) {
  return object["spec"]["template"]["spec"]["containers"][1]["env"];
}

TEST(DeploymentEnv, ReadsTheLiteralValueOfTheNamedContainer) {
  const auto web = deployment(
      {{{"name", "LOG"}, {"value", "info"}}, {{"name", "RLS_ENABLED"}, {"value", "false"}}});
  EXPECT_EQ(envValue(web, kFlag), "false");
  EXPECT_EQ(envValue(web, {"api", "LOG"}), "info");
  EXPECT_EQ(envValue(web, {"api", "MISSING"}), std::nullopt);
  EXPECT_EQ(envValue(web, {"sidecar", "RLS_ENABLED"}), std::nullopt);
  EXPECT_EQ(envValue(deployment({{{"name", "RLS_ENABLED"}}}), kFlag), "");
  const auto fromConfigMap =
      deployment({{{"name", "RLS_ENABLED"},
                   {"valueFrom", {{"configMapKeyRef", {{"name", "flags"}, {"key", "rls"}}}}}}});
  EXPECT_EQ(envValue(fromConfigMap, kFlag), std::nullopt);
}

TEST(DeploymentEnv, ReplacesAddsOrCreatesTheVariableAndTouchesNothingElse) {
  const auto replaced = patched(deployment({{{"name", "LOG"}, {"value", "info"}},
                                            {{"name", "RLS_ENABLED"}, {"value", "false"}}}),
                                "true");
  EXPECT_EQ(apiEnv(replaced), nlohmann::json::parse(R"([{"name": "LOG", "value": "info"},
                                                     {"name": "RLS_ENABLED", "value": "true"}])"));
  const auto added = patched(deployment({{{"name", "LOG"}, {"value", "info"}}}), "true");
  EXPECT_EQ(apiEnv(added), nlohmann::json::parse(R"([{"name": "LOG", "value": "info"},
                                                  {"name": "RLS_ENABLED", "value": "true"}])"));
  const auto created = patched(deployment(nullptr), "true");
  EXPECT_EQ(apiEnv(created),
            nlohmann::json::parse(R"([{"name": "RLS_ENABLED", "value": "true"}])"));
  // A value from a reference becomes the literal.
  const auto literal = patched(
      deployment({{{"name", "RLS_ENABLED"},
                   {"valueFrom", {{"configMapKeyRef", {{"name", "flags"}, {"key", "rls"}}}}}}}),
      "true");
  EXPECT_EQ(apiEnv(literal),
            nlohmann::json::parse(R"([{"name": "RLS_ENABLED", "value": "true"}])"));
  // The sidecar keeps its (absent) environment.
  EXPECT_FALSE(created["spec"]["template"]["spec"]["containers"][0].contains("env"));
}

TEST(DeploymentEnv, NoPatchWhenTheValueIsThere) {
  EXPECT_FALSE(envPatch(deployment({{{"name", "RLS_ENABLED"}, {"value", "true"}}}), kFlag, "true"));
}

TEST(DeploymentEnv, ThePatchTestsTheContainerItWasMadeFrom) {
  const auto web = deployment({{{"name", "RLS_ENABLED"}, {"value", "false"}}});
  const auto patch = envPatch(web, kFlag, "true");
  ASSERT_TRUE(patch);
  const nlohmann::json& first = patch->operations()[0];
  EXPECT_EQ(first["op"], "test");
  EXPECT_EQ(first["path"], "/spec/template/spec/containers/1");
  // Someone else changed the container in between: the patch no longer applies.
  nlohmann::json changed = web;
  changed["spec"]["template"]["spec"]["containers"][1]["image"] = "registry.example/api:2";
  EXPECT_THROW(changed.patch(patch->operations()), nlohmann::json::exception);
}

TEST(DeploymentEnv, AMissingContainerIsAnErrorNamingTheOnesThereAre) {
  try {
    envValue(deployment(nullptr), {"app", "RLS_ENABLED"});
    FAIL() << "no error";
  } catch (const FlagSwitchError& error) {
    EXPECT_STREQ(error.what(),
                 "Deployment shop/web has no container \"app\" in its pod template (its "
                 "containers: sidecar, api): correct spec.featureFlag.deployment.container");
  }
  EXPECT_THROW(envPatch(deployment(nullptr), {"app", "X"}, "1"), FlagSwitchError);
}

}  // namespace
}  // namespace tenantshift::flag
