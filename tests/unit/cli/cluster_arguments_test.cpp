// --kubeconfig and --context: the cluster of a feature flag in a ConfigMap or a Deployment.
#include <gtest/gtest.h>

#include "cli/arguments.h"

namespace tenantshift::cli {
namespace {

TEST(ClusterArguments, EveryManifestCommandTakesTheCluster) {
  for (const char* command : {"plan", "run", "verify", "status"}) {
    const auto a = parseArguments(
        {command, "-f", "m.yaml", "--kubeconfig", "/etc/kube/config", "--context=prod"});
    EXPECT_EQ(a.kubeconfig, "/etc/kube/config") << command;
    EXPECT_EQ(a.context, "prod") << command;
  }
  const auto phase = parseArguments({"phase", "flag", "-f", "m.yaml", "--kubeconfig=k"});
  EXPECT_EQ(phase.kubeconfig, "k");
  EXPECT_EQ(phase.context, "");
  const auto rollback = parseArguments(
      {"rollback", "-f", "m.yaml", "--scenario", "flag-off", "--context", "staging"});
  EXPECT_EQ(rollback.context, "staging");
  EXPECT_FALSE(rollback.kubeconfig.has_value());
}

TEST(ClusterArguments, NeedAValue) {
  EXPECT_THROW(parseArguments({"run", "-f", "m.yaml", "--kubeconfig"}), UsageError);
  EXPECT_THROW(parseArguments({"version", "--context", "x"}), UsageError);
}

}  // namespace
}  // namespace tenantshift::cli
