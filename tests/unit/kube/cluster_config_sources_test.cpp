// The token file source, the in-cluster service account, and which configuration wins.
#include <gtest/gtest.h>

#include <map>

#include "fakes.h"
#include "kube/config_loader.h"
#include "kube/in_cluster_config.h"
#include "kube/kube_config_error.h"
#include "kube/token_source.h"
#include "temp_dir.h"
#include "test_pki.h"

namespace tenantshift::kube {
namespace {

using testing::FakeClock;
using testing::TempDir;
using testing::testPki;

Environment environmentOf(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) {
      return std::nullopt;
    }
    return found->second;
  };
}

class ConfigSources : public ::testing::Test {
 protected:
  InClusterPaths serviceAccount() {
    dir.write("sa/token", "sa-token-1\n");
    dir.write("sa/ca.crt", testPki().caCertificate);
    dir.write("sa/namespace", "tenantshift-system");
    return {dir.path() / "sa/token", dir.path() / "sa/ca.crt", dir.path() / "sa/namespace"};
  }
  std::string kubeconfig(const std::string& name, const std::string& server) {
    return dir
        .write(name, "current-context: c\nclusters: [{name: k, cluster: {server: \"" + server +
                         "\"}}]\ncontexts: [{name: c, context: {cluster: k}}, {name: other, "
                         "context: {cluster: k, namespace: elsewhere}}]\n")
        .string();
  }
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  TempDir dir;
};

TEST_F(ConfigSources, FileTokenIsRereadAfterAMinuteAndOnRefresh) {
  const auto path = dir.write("token", "one\n");
  FileTokenSource token(path, "test", "token", clock);
  EXPECT_EQ(token.token(), "one");
  dir.write("token", "two");
  clock->advance(std::chrono::seconds(59));
  EXPECT_EQ(token.token(), "one");  // still fresh
  clock->advance(std::chrono::seconds(1));
  EXPECT_EQ(token.token(), "two");  // a minute old: read again
  dir.write("token", "three");
  EXPECT_TRUE(token.refresh());  // after a 401: read at once
  EXPECT_EQ(token.token(), "three");
  EXPECT_EQ(token.description(), "token file " + path.string());
}

TEST_F(ConfigSources, FileTokenKeepsThePreviousTokenWhenARereadFails) {
  const auto path = dir.write("token", "kept");
  FileTokenSource token(path, "test", "token", clock);
  EXPECT_EQ(token.token(), "kept");
  std::filesystem::remove(path);
  clock->advance(std::chrono::minutes(2));
  EXPECT_EQ(token.token(), "kept");
  dir.write("token", "back");
  EXPECT_EQ(token.token(), "back");  // tried again on the next use
}

TEST_F(ConfigSources, FileTokenThatWasNeverReadableThrows) {
  FileTokenSource token(dir.path() / "none", "in-cluster service account", "token", clock);
  try {
    token.token();
    FAIL();
  } catch (const KubeConfigError& error) {
    EXPECT_EQ(std::string(error.what()), "in-cluster service account: token: cannot read " +
                                             (dir.path() / "none").string() +
                                             ": No such file or directory");
  }
}

TEST_F(ConfigSources, InClusterReadsTheServiceAccountFilesAndTheServiceVariables) {
  const InClusterPaths paths = serviceAccount();
  const ClusterConfig config = loadInClusterConfig(
      environmentOf({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      paths, clock);
  EXPECT_EQ(config.server, "https://10.96.0.1:443");
  EXPECT_EQ(config.certificateAuthorityPem, testPki().caCertificate);
  EXPECT_EQ(config.defaultNamespace, "tenantshift-system");
  EXPECT_EQ(config.source, "in-cluster service account");
  ASSERT_NE(config.token, nullptr);
  EXPECT_EQ(config.token->token(), "sa-token-1");
  // The kubelet rotates the token: the next read after a minute sees the new one.
  dir.write("sa/token", "sa-token-2");
  clock->advance(std::chrono::minutes(1));
  EXPECT_EQ(config.token->token(), "sa-token-2");
}

TEST_F(ConfigSources, InClusterIpv6HostIsBracketedAndNamespaceDefaults) {
  InClusterPaths paths = serviceAccount();
  paths.namespaceFile = dir.path() / "absent";
  const ClusterConfig config = loadInClusterConfig(
      environmentOf({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}}),
      paths, clock);
  EXPECT_EQ(config.server, "https://[fd00::1]:6443");
  EXPECT_EQ(config.defaultNamespace, "default");
}

TEST_F(ConfigSources, InClusterProblemsAreNamed) {
  const InClusterPaths paths = serviceAccount();
  auto errorFor = [&](std::map<std::string, std::string> variables, const InClusterPaths& p) {
    try {
      loadInClusterConfig(environmentOf(std::move(variables)), p, clock);
    } catch (const KubeConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(errorFor({{"KUBERNETES_SERVICE_PORT", "443"}}, paths),
            "in-cluster service account: KUBERNETES_SERVICE_HOST: not set: outside a pod give "
            "--kubeconfig or set KUBECONFIG");
  EXPECT_NE(
      errorFor({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "https"}}, paths)
          .find("KUBERNETES_SERVICE_PORT: \"https\" is not a port"),
      std::string::npos);
  InClusterPaths noCa = paths;
  noCa.caFile = dir.path() / "no-ca";
  EXPECT_NE(errorFor({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "443"}}, noCa)
                .find("ca.crt: cannot read " + noCa.caFile.string() +
                      ": No such file or directory (is the service account token mounted?"),
            std::string::npos);
  InClusterPaths noToken = paths;
  noToken.tokenFile = dir.path() / "no-token";
  EXPECT_NE(
      errorFor({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "443"}}, noToken)
          .find("in-cluster service account: token: cannot read"),
      std::string::npos);
}

TEST_F(ConfigSources, ExplicitKubeconfigWinsOverEverything) {
  const std::string flag = kubeconfig("flag", "https://flag:1");
  const std::string env = kubeconfig("env", "https://env:1");
  ConfigRequest request;
  request.kubeconfig = flag;
  request.environment = environmentOf({{"KUBECONFIG", env},
                                       {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                       {"KUBERNETES_SERVICE_PORT", "443"}});
  request.inClusterPaths = serviceAccount();
  request.clock = clock;
  EXPECT_EQ(loadClusterConfig(request).server, "https://flag:1");
  request.context = "other";
  EXPECT_EQ(loadClusterConfig(request).defaultNamespace, "elsewhere");
}

TEST_F(ConfigSources, KubeconfigVariableIsAListWhoseMissingFilesAreSkipped) {
  const std::string first = kubeconfig("first", "https://first:1");
  const std::string second = kubeconfig("second", "https://second:1");
  ConfigRequest request;
  request.environment =
      environmentOf({{"KUBECONFIG", (dir.path() / "absent").string() + ":" + first + ":" + second},
                     {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                     {"KUBERNETES_SERVICE_PORT", "443"}});
  request.clock = clock;
  EXPECT_EQ(loadClusterConfig(request).server, "https://first:1");

  request.environment = environmentOf({{"KUBECONFIG", (dir.path() / "absent").string()}});
  try {
    loadClusterConfig(request);
    FAIL();
  } catch (const KubeConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("KUBECONFIG: none of its files exists"),
              std::string::npos);
  }
}

TEST_F(ConfigSources, InClusterWhenNoKubeconfigIsGivenThenTheHomeKubeconfig) {
  ConfigRequest request;
  request.inClusterPaths = serviceAccount();
  request.clock = clock;
  dir.write("home/.kube/config",
            "current-context: c\nclusters: [{name: k, cluster: {server: "
            "\"https://home:1\"}}]\ncontexts: [{name: c, context: {cluster: "
            "k}}]\n");
  request.environment = environmentOf({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                       {"KUBERNETES_SERVICE_PORT", "443"},
                                       {"HOME", (dir.path() / "home").string()}});
  EXPECT_EQ(loadClusterConfig(request).server, "https://10.0.0.1:443");

  request.environment = environmentOf({{"HOME", (dir.path() / "home").string()}});
  EXPECT_EQ(loadClusterConfig(request).server, "https://home:1");

  request.environment = environmentOf({{"HOME", (dir.path() / "nowhere").string()}});
  try {
    loadClusterConfig(request);
    FAIL();
  } catch (const KubeConfigError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("none found: give --kubeconfig PATH, set KUBECONFIG, or run in a pod"),
              std::string::npos);
  }
}

TEST_F(ConfigSources, ContextWithoutAKubeconfigInClusterIsRefused) {
  ConfigRequest request;
  request.inClusterPaths = serviceAccount();
  request.clock = clock;
  request.context = "prod";
  request.environment =
      environmentOf({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  EXPECT_THROW(loadClusterConfig(request), KubeConfigError);
}

}  // namespace
}  // namespace tenantshift::kube
