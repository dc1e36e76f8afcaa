// The flag phase's first step for a flag in a ConfigMap or a Deployment: a planned step with an
// up (on) and a down (off) that the engine carries out through the Kubernetes API, classified
// and covered by the step's checksum and the plan's hash.
#include <gtest/gtest.h>

#include "catalog_builder.h"
#include "plan/flag_switch.h"
#include "plan/plan_hash.h"
#include "plan/planner.h"

namespace tenantshift::plan {
namespace {

using testing::catalogOf;
using testing::positionOf;
using testing::specFor;
using testing::TableBuilder;

Catalog usersCatalog() {
  return catalogOf({TableBuilder("users").id().column("email", "text", true)});
}

api::DeploymentFeatureFlag deploymentFlag() {
  api::DeploymentFeatureFlag flag;
  flag.name = "alphapulse-api";
  flag.container = "api";
  flag.env = "RLS_ENABLED";
  flag.on = "true";
  flag.off = "false";
  return flag;
}

api::ConfigMapFeatureFlag configMapFlag() {
  api::ConfigMapFeatureFlag flag;
  flag.ns = "shop";
  flag.name = "app-config";
  flag.key = "rls";
  flag.on = "on";
  flag.off = "off";
  return flag;
}

Plan planWith(const api::FeatureFlagSpec& flag) {
  auto spec = specFor();
  spec.featureFlag = flag;
  return buildPlan(spec, usersCatalog());
}

Plan planWith(const api::DeploymentFeatureFlag& flag) {
  api::FeatureFlagSpec spec;
  spec.deployment = flag;
  return planWith(spec);
}

TEST(FeatureFlagSteps, ADeploymentFlagIsASwitchStepBeforeEnforcement) {
  const Plan plan = planWith(deploymentFlag());
  const Step* flag = plan.findStep("flag/on");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->phase, Phase::Flag);
  EXPECT_EQ(flag->execution, Execution::FlagSwitch);
  EXPECT_EQ(flag->downExecution, Execution::FlagSwitch);
  EXPECT_TRUE(flag->up.empty());
  EXPECT_TRUE(flag->down.empty());
  ASSERT_TRUE(flag->flagSwitch.has_value());
  EXPECT_EQ(std::get<api::DeploymentFeatureFlag>(*flag->flagSwitch).env, "RLS_ENABLED");
  EXPECT_EQ(flag->lock, LockLevel::None);
  EXPECT_EQ(flag->risk, DataLossRisk::None);
  EXPECT_EQ(flag->downRisk, DataLossRisk::None);
  EXPECT_EQ(flag->summary,
            "turn the application's feature flag on (spec.featureFlag.deployment): Deployment "
            "alphapulse-api container api env RLS_ENABLED=\"true\", then wait (at most 10m) until "
            "the rollout it starts is complete: the Deployment replaces its pods");
  EXPECT_EQ(positionOf(plan, "flag/on") + 1, positionOf(plan, "flag/enforce"));
}

TEST(FeatureFlagSteps, AConfigMapFlagSaysWhatItSets) {
  api::FeatureFlagSpec spec;
  spec.configMap = configMapFlag();
  const Plan plan = planWith(spec);
  const Step* flag = plan.findStep("flag/on");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->execution, Execution::FlagSwitch);
  EXPECT_EQ(flag->summary,
            "turn the application's feature flag on (spec.featureFlag.configMap): ConfigMap "
            "app-config (namespace shop) key rls: \"on\"");
  EXPECT_EQ(describeFlagSetting(*flag->flagSwitch, "off"),
            "ConfigMap app-config (namespace shop) key rls: \"off\"");
}

TEST(FeatureFlagSteps, NoFlagNoFlagStep) {
  const Plan plan = planWith(api::FeatureFlagSpec{});
  EXPECT_EQ(plan.findStep("flag/on"), nullptr);
  EXPECT_NE(plan.findStep("flag/enforce"), nullptr);
}

TEST(FeatureFlagSteps, WhatTheFlagSetsIsInTheChecksumAndThePlanHash) {
  const Plan original = planWith(deploymentFlag());
  const std::string checksum = original.findStep("flag/on")->checksum();
  const std::string hash = planHash(original);
  auto changed = [&](const std::function<void(api::DeploymentFeatureFlag&)>& change) {
    api::DeploymentFeatureFlag flag = deploymentFlag();
    change(flag);
    return planWith(flag);
  };
  for (const auto& [what, change] :
       std::vector<std::pair<std::string, std::function<void(api::DeploymentFeatureFlag&)>>>{
           {"namespace", [](auto& f) { f.ns = "other"; }},
           {"name", [](auto& f) { f.name = "other"; }},
           {"container", [](auto& f) { f.container = "web"; }},
           {"env", [](auto& f) { f.env = "RLS_ON"; }},
           {"on", [](auto& f) { f.on = "yes"; }},
           {"off", [](auto& f) { f.off = "no"; }}}) {
    const Plan plan = changed(change);
    EXPECT_NE(plan.findStep("flag/on")->checksum(), checksum) << what;
    EXPECT_NE(planHash(plan), hash) << what;
  }
  // How long to wait is no change to what the step does: raising it after a slow rollout is no
  // plan drift.
  const Plan longer = changed([](auto& f) { f.rolloutTimeout = std::chrono::hours(1); });
  EXPECT_EQ(longer.findStep("flag/on")->checksum(), checksum);
  EXPECT_EQ(planHash(longer), hash);
  // The same values in a ConfigMap are another step.
  api::FeatureFlagSpec configMap;
  configMap.configMap = configMapFlag();
  EXPECT_NE(planHash(planWith(configMap)), hash);
}

TEST(FeatureFlagSteps, TheSqlFlagStaysTransactional) {
  api::FeatureFlagSpec spec;
  spec.sql = api::SqlFeatureFlag{"UPDATE flags SET on = true", "UPDATE flags SET on = false"};
  const Plan plan = planWith(spec);
  const Step* flag = plan.findStep("flag/on");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->execution, Execution::Transactional);
  EXPECT_FALSE(flag->flagSwitch.has_value());
  EXPECT_EQ(flag->lock, LockLevel::RowExclusive);
  ASSERT_EQ(flag->up.size(), 2U);
  EXPECT_EQ(flag->up[1].sql, "UPDATE flags SET on = true");
}

}  // namespace
}  // namespace tenantshift::plan
