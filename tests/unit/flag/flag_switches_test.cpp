// The ConfigMap and Deployment switches against a fake API server: set idempotently, the
// applied-check, the rollout awaited (on a fake clock), and refusals turned into messages that
// say what to do.
#include <gtest/gtest.h>

#include "fake_cluster.h"
#include "flag/config_map_flag_switch.h"
#include "flag/deployment_env_flag_switch.h"
#include "flag/flag_switch_error.h"
#include "flag/kubernetes_flag_switches.h"

namespace tenantshift::flag {
namespace {

using testing::deployment;
using testing::FakeCluster;

constexpr const char* kSource = "kubeconfig /home/ops/.kube/config, context prod";

// A clock that moves only when slept on; a checkpoint that stops when asked to.
struct FakeWait {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  std::vector<std::chrono::milliseconds> sleeps;
  bool stopRequested = false;

  WaitControl control() {
    return {[this] { return now; },
            [this](std::chrono::milliseconds d) {
              sleeps.push_back(d);
              now += d;
            },
            [this](const std::string& where) {
              if (stopRequested) {
                throw std::runtime_error("stopped " + where);
              }
            }};
  }
};

api::ConfigMapFeatureFlag configMapFlag() {
  return {"", "app-config", "rls", "true", "false"};
}

api::DeploymentFeatureFlag deploymentFlag() {
  api::DeploymentFeatureFlag flag;
  flag.name = "web";
  flag.container = "api";
  flag.env = "RLS_ENABLED";
  flag.on = "true";
  flag.off = "false";
  flag.rolloutTimeout = std::chrono::minutes(2);
  return flag;
}

// Each GET after the patch moves the rollout one step on, as the Deployment controller would:
// observed, one pod updated, both updated with an old one left, both available.
void rollOutInSteps(FakeCluster& cluster) {
  cluster.beforeGet = [](nlohmann::json& d) {
    const int generation = d["metadata"]["generation"];
    nlohmann::json& status = d["status"];
    if (status["observedGeneration"] < generation) {
      status = {{"observedGeneration", generation},
                {"replicas", 3},
                {"updatedReplicas", 1},
                {"availableReplicas", 2}};
    } else if (status["updatedReplicas"] == 1) {
      status["updatedReplicas"] = 2;
    } else if (status["replicas"] == 3) {
      status["replicas"] = 2;
      status["availableReplicas"] = 1;
    } else {
      status["availableReplicas"] = 2;
    }
  };
}

TEST(ConfigMapFlagSwitch, SetsTheKeyOnceAndReadsItBack) {
  FakeCluster cluster;
  cluster.objects["shop/app-config"] = {{"metadata", {{"name", "app-config"}}},
                                        {"data", {{"other", "kept"}}}};
  auto flag = makeFlagSwitch(cluster, configMapFlag(), "shop", kSource);
  EXPECT_EQ(flag->describe(), "ConfigMap shop/app-config key rls");
  EXPECT_FALSE(flag->holds("true"));
  FakeWait wait;
  turnFlag(*flag, "true", wait.control());
  EXPECT_TRUE(flag->holds("true"));
  EXPECT_EQ(cluster.objects["shop/app-config"]["data"],
            nlohmann::json({{"other", "kept"}, {"rls", "true"}}));
  turnFlag(*flag, "true", wait.control());
  EXPECT_EQ(cluster.patches.size(), 1U) << "set again";
  turnFlag(*flag, "false", wait.control());
  EXPECT_EQ(cluster.objects["shop/app-config"]["data"]["rls"], "false");
  EXPECT_TRUE(wait.sleeps.empty());
}

TEST(ConfigMapFlagSwitch, AMissingConfigMapNamesTheField) {
  FakeCluster cluster;
  api::ConfigMapFeatureFlag spec = configMapFlag();
  spec.ns = "billing";
  auto flag = makeFlagSwitch(cluster, spec, "shop", kSource);
  try {
    flag->holds("true");
    FAIL() << "no error";
  } catch (const FlagSwitchError& error) {
    EXPECT_STREQ(error.what(),
                 "ConfigMap billing/app-config does not exist: create it, or correct "
                 "spec.featureFlag.configMap.name (and .namespace; without it the migration's "
                 "namespace, else the Kubernetes context's)");
  }
}

TEST(DeploymentEnvFlagSwitch, SetsTheVariableThenWaitsForTheRollout) {
  FakeCluster cluster;
  cluster.objects["shop/web"] = deployment({{{"name", "RLS_ENABLED"}, {"value", "false"}}}, 2);
  rollOutInSteps(cluster);
  auto flag = makeFlagSwitch(cluster, deploymentFlag(), "shop", kSource);
  EXPECT_EQ(flag->describe(), "Deployment shop/web container api env RLS_ENABLED");
  FakeWait wait;
  turnFlag(*flag, "true", wait.control());
  EXPECT_EQ(cluster.patches.size(), 1U);
  EXPECT_EQ(cluster.objects["shop/web"]["status"]["availableReplicas"], 2);
  // Polled once a second until complete: observed, updated, old pod gone, available.
  EXPECT_EQ(wait.sleeps, std::vector<std::chrono::milliseconds>(3, std::chrono::seconds(1)));
  // Resumed after a kill: on already, so only the (complete) rollout is looked at.
  cluster.beforeGet = nullptr;
  turnFlag(*flag, "true", wait.control());
  EXPECT_EQ(cluster.patches.size(), 1U);
}

TEST(DeploymentEnvFlagSwitch, PatchesAgainWhenTheContainerChangedInBetween) {
  FakeCluster cluster;
  cluster.objects["shop/web"] = deployment(nullptr);
  int patchCalls = 0;
  cluster.beforePatch = [&](nlohmann::json& d) {
    if (++patchCalls == 1) {  // another writer sets an env var between our read and patch
      d["spec"]["template"]["spec"]["containers"][1]["env"] = {{{"name", "LOG"}, {"value", "x"}}};
    }
  };
  auto flag = makeFlagSwitch(cluster, deploymentFlag(), "shop", kSource);
  flag->set("true");
  EXPECT_EQ(patchCalls, 2);
  EXPECT_EQ(cluster.objects["shop/web"]["spec"]["template"]["spec"]["containers"][1]["env"],
            nlohmann::json::parse(R"([{"name": "LOG", "value": "x"},
                                      {"name": "RLS_ENABLED", "value": "true"}])"));
}

TEST(DeploymentEnvFlagSwitch, GivesUpAfterTheRolloutTimeoutSayingWhatItWaitsFor) {
  FakeCluster cluster;
  cluster.objects["shop/web"] = deployment(nullptr, 2);
  cluster.objects["shop/web"]["status"]["availableReplicas"] = 1;
  auto flag = makeFlagSwitch(cluster, deploymentFlag(), "shop", kSource);
  FakeWait wait;
  try {
    flag->awaitEffect(wait.control());
    FAIL() << "no error";
  } catch (const FlagSwitchError& error) {
    EXPECT_STREQ(error.what(),
                 "the rollout of Deployment shop/web is not complete after 2m "
                 "(spec.featureFlag.deployment.rolloutTimeout): 1 of 2 updated replicas are "
                 "available; see `kubectl rollout status deployment/web -n shop` and `kubectl "
                 "describe` of it");
  }
  EXPECT_EQ(wait.sleeps.size(), 120U);
}

TEST(DeploymentEnvFlagSwitch, AFailedRolloutEndsTheWaitAtOnce) {
  FakeCluster cluster;
  cluster.objects["shop/web"] = deployment(nullptr, 2);
  cluster.objects["shop/web"]["status"]["conditions"] = {{{"type", "Progressing"},
                                                          {"status", "False"},
                                                          {"reason", "ProgressDeadlineExceeded"},
                                                          {"message", "timed out"}}};
  auto flag = makeFlagSwitch(cluster, deploymentFlag(), "shop", kSource);
  FakeWait wait;
  EXPECT_THROW(flag->awaitEffect(wait.control()), FlagSwitchError);
  EXPECT_TRUE(wait.sleeps.empty());
}

TEST(DeploymentEnvFlagSwitch, AStopRequestEndsTheWaitAtTheCheckpoint) {
  FakeCluster cluster;
  cluster.objects["shop/web"] = deployment(nullptr, 2);
  cluster.objects["shop/web"]["status"]["availableReplicas"] = 0;
  auto flag = makeFlagSwitch(cluster, deploymentFlag(), "shop", kSource);
  FakeWait wait;
  wait.stopRequested = true;
  try {
    flag->awaitEffect(wait.control());
    FAIL() << "no stop";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "stopped while waiting for the rollout of Deployment shop/web");
  }
}

TEST(FlagSwitches, AForbiddenPatchNamesWhoWhatAndTheRoleToGrant) {
  FakeCluster cluster;
  cluster.objects["shop/web"] = deployment(nullptr);
  cluster.beforePatch = [](nlohmann::json&) {
    throw kube::KubeError("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", 403,
                          "Forbidden",
                          "deployments.apps \"web\" is forbidden: User "
                          "\"system:serviceaccount:shop:migrator\" cannot patch resource "
                          "\"deployments\" in API group \"apps\" in the namespace \"shop\"");
  };
  auto flag = makeFlagSwitch(cluster, deploymentFlag(), "shop", kSource);
  try {
    flag->set("true");
    FAIL() << "no error";
  } catch (const FlagSwitchError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.substr(0, message.find("; the API server said")),
              "the Kubernetes API server refused to let system:serviceaccount:shop:migrator "
              "patch deployments.apps \"web\" in namespace shop (403 Forbidden). The feature "
              "flag needs get and patch on it: grant them in a Role of namespace shop bound to "
              "system:serviceaccount:shop:migrator, e.g. `kubectl create role "
              "tenantshift-feature-flag -n shop --verb=get,patch --resource=deployments.apps "
              "--resource-name=web` and `kubectl create rolebinding tenantshift-feature-flag -n "
              "shop --role=tenantshift-feature-flag --serviceaccount=shop:migrator` (README: "
              "Feature flags in Kubernetes)");
  }
}

TEST(FlagSwitches, ARefusalWithoutAUserNamesTheCredentials) {
  FakeCluster cluster;
  cluster.objects["shop/app-config"] = {{"metadata", {{"name", "app-config"}}}};
  cluster.beforeGet = [](nlohmann::json&) {
    throw kube::KubeError("GET", "/api/v1/namespaces/shop/configmaps/app-config", 403, "Forbidden",
                          "");
  };
  auto flag = makeFlagSwitch(cluster, configMapFlag(), "shop", kSource);
  try {
    flag->holds("true");
    FAIL() << "no error";
  } catch (const FlagSwitchError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("refused to let the identity of " + std::string(kSource) +
                           " get configmaps \"app-config\" in namespace shop"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("--resource=configmaps --resource-name=app-config"), std::string::npos);
    EXPECT_NE(message.find("--user=<that user>"), std::string::npos);
  }
}

TEST(FlagSwitches, TheFlagsOwnNamespaceWinsOverTheDefault) {
  FakeCluster cluster;
  cluster.objects["billing/web"] = deployment(nullptr);
  api::DeploymentFeatureFlag spec = deploymentFlag();
  spec.ns = "billing";
  EXPECT_EQ(makeFlagSwitch(cluster, spec, "shop", kSource)->describe(),
            "Deployment billing/web container api env RLS_ENABLED");
  EXPECT_EQ(makeFlagSwitch(cluster, deploymentFlag(), "shop", kSource)->describe(),
            "Deployment shop/web container api env RLS_ENABLED");
}

}  // namespace
}  // namespace tenantshift::flag
