#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include "fakes.h"
#include "kube/kube_config_error.h"
#include "temp_dir.h"
#include "test_pki.h"

namespace tenantshift::kube {
namespace {

using testing::base64;
using testing::FakeClock;
using testing::TempDir;
using testing::testPki;

const char* const kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443/
    certificate-authority: pki/ca.crt
- name: prod-cluster
  cluster:
    server: https://10.0.0.1:443
    certificate-authority-data: Q0E=
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-dev}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
users:
- name: dev-user
  user:
    client-certificate: pki/client.crt
    client-key: /etc/keys/client.key
- name: prod-user
  user:
    token: s3cr3t-token
)";

KubeconfigSelection select(const std::string& text, const std::string& context = "",
                           const std::string& path = "/home/ops/.kube/config") {
  return selectKubeconfigContext({{path, text}}, context);
}

std::string errorOf(const std::string& text, const std::string& context = "") {
  try {
    select(text, context);
  } catch (const KubeConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Kubeconfig, CurrentContextWithFilesResolvedAgainstTheKubeconfigsDirectory) {
  const KubeconfigSelection s = select(kTwoContexts);
  EXPECT_EQ(s.contextName, "dev");
  EXPECT_EQ(s.clusterName, "dev-cluster");
  EXPECT_EQ(s.userName, "dev-user");
  EXPECT_EQ(s.ns, "team-dev");
  EXPECT_EQ(s.server, "https://dev.example:6443");  // trailing slash dropped
  EXPECT_EQ(s.certificateAuthorityFile, "/home/ops/.kube/pki/ca.crt");
  EXPECT_EQ(s.clientCertificateFile, "/home/ops/.kube/pki/client.crt");
  EXPECT_EQ(s.clientKeyFile, "/etc/keys/client.key");
  EXPECT_EQ(s.clusterSource, "kubeconfig /home/ops/.kube/config");
}

TEST(Kubeconfig, NamedContextWithDataFieldsAndToken) {
  const KubeconfigSelection s = select(kTwoContexts, "prod");
  EXPECT_EQ(s.contextName, "prod");
  EXPECT_EQ(s.server, "https://10.0.0.1:443");
  EXPECT_EQ(s.certificateAuthorityData, "CA");
  EXPECT_TRUE(s.certificateAuthorityFile.empty());
  EXPECT_EQ(s.token, "s3cr3t-token");
  EXPECT_EQ(s.ns, "");
}

TEST(Kubeconfig, EveryUserField) {
  const KubeconfigSelection s = select(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k:6443"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users:
- name: u
  user:
    tokenFile: ../run/token
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
)",
                                       "", "/etc/tenantshift/conf/kubeconfig");
  EXPECT_EQ(s.tokenFile, "/etc/tenantshift/run/token");
  EXPECT_EQ(s.clientCertificateData, "CERT");
  EXPECT_EQ(s.clientKeyData, "KEY");
}

TEST(Kubeconfig, InsecureSkipTlsVerifyIsRefusedNamingTheField) {
  const std::string error = errorOf(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  EXPECT_NE(error.find("kubeconfig /home/ops/.kube/config: clusters[k].cluster."
                       "insecure-skip-tls-verify: is true, but tenantshift never disables TLS "
                       "verification"),
            std::string::npos)
      << error;
  // false is harmless.
  EXPECT_EQ(select(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k", insecure-skip-tls-verify: false}}]
contexts: [{name: c, context: {cluster: k}}]
)")
                .server,
            "https://k");
}

TEST(Kubeconfig, WhatTheClientCannotHonourIsRefusedNamingTheField) {
  const std::string head =
      "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n";
  const std::string cluster = "clusters: [{name: k, cluster: {server: \"https://k\"}}]\n";
  auto withUser = [&](const std::string& user) {
    return errorOf(head + cluster + "users: [{name: u, user: " + user + "}]\n");
  };
  EXPECT_NE(withUser("{exec: {command: aws}}").find("users[u].user.exec: credential plugins"),
            std::string::npos);
  EXPECT_NE(withUser("{auth-provider: {name: gcp}}").find("users[u].user.auth-provider"),
            std::string::npos);
  EXPECT_NE(withUser("{username: a, password: b}").find("users[u].user.username: basic"),
            std::string::npos);
  EXPECT_NE(withUser("{token: t, as: admin}").find("users[u].user.as: impersonation"),
            std::string::npos);
  EXPECT_NE(withUser("{client-certificate-data: Q0VSVA==}")
                .find("users[u].user.client-key: missing: a client certificate needs its key"),
            std::string::npos);
  EXPECT_NE(withUser("{client-key: k.pem}").find("users[u].user.client-certificate: missing"),
            std::string::npos);
  EXPECT_NE(withUser("{client-key-data: '@@@not base64'}")
                .find("users[u].user.client-key-data: is not valid base64"),
            std::string::npos);
  EXPECT_NE(withUser("{token: [a, b]}").find("users[u].user.token: must be a string"),
            std::string::npos);

  auto withCluster = [&](const std::string& body) {
    return errorOf(head + "clusters: [{name: k, cluster: " + body + "}]\nusers: [{name: u}]\n");
  };
  EXPECT_NE(withCluster("{server: \"http://k:8080\"}")
                .find("clusters[k].cluster.server: \"http://k:8080\" is not an https:// URL"),
            std::string::npos);
  EXPECT_NE(withCluster("{}").find("clusters[k].cluster.server: missing"), std::string::npos);
  EXPECT_NE(withCluster("{server: \"https://k\", tls-server-name: x}")
                .find("clusters[k].cluster.tls-server-name: is not supported"),
            std::string::npos);
  EXPECT_NE(withCluster("{server: \"https://k\", proxy-url: \"http://p\"}")
                .find("clusters[k].cluster.proxy-url"),
            std::string::npos);
  EXPECT_NE(withCluster("{server: \"https://k\", insecure-skip-tls-verify: maybe}")
                .find("insecure-skip-tls-verify: must be true or false"),
            std::string::npos);
}

TEST(Kubeconfig, MissingContextsClustersAndUsersAreNamed) {
  EXPECT_NE(errorOf(kTwoContexts, "staging")
                .find("contexts: no context named \"staging\" (contexts: dev, prod)"),
            std::string::npos);
  EXPECT_NE(errorOf("clusters: []\ncontexts: [{name: a}, {name: b}]\n")
                .find("current-context: not set: name a context (contexts: a, b)"),
            std::string::npos);
  EXPECT_NE(errorOf("current-context: c\ncontexts: [{name: c, context: {cluster: nope}}]\n")
                .find("contexts[c].context.cluster: no cluster named \"nope\" (clusters: none)"),
            std::string::npos);
  EXPECT_NE(errorOf("current-context: c\ncontexts: [{name: c, context: {user: u}}]\n")
                .find("contexts[c].context.cluster: missing"),
            std::string::npos);
  EXPECT_NE(errorOf("current-context: c\nclusters: [{name: k, cluster: {server: "
                    "\"https://k\"}}]\ncontexts: [{name: c, context: {cluster: k, user: "
                    "ghost}}]\nusers: [{name: u}]\n")
                .find("contexts[c].context.user: no user named \"ghost\" (users: u)"),
            std::string::npos);
  EXPECT_NE(
      errorOf("clusters: [{cluster: {}}]\ncurrent-context: c\n").find("clusters[0].name: missing"),
      std::string::npos);
  EXPECT_NE(errorOf("clusters: {a: b}\n").find("clusters: must be a list"), std::string::npos);
  EXPECT_NE(errorOf("[1, 2]").find("not a kubeconfig"), std::string::npos);
  EXPECT_NE(errorOf("a: [").find("not valid YAML"), std::string::npos);
}

TEST(Kubeconfig, ContextWithoutUserIsAnonymous) {
  const KubeconfigSelection s = select(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  EXPECT_EQ(s.userName, "");
  EXPECT_TRUE(s.token.empty());
}

TEST(Kubeconfig, SeveralFilesMergeWithTheFirstDefinitionWinning) {
  const std::vector<KubeconfigFile> files = {
      {"/a/config", R"(current-context: mine
contexts: [{name: mine, context: {cluster: shared, user: me}}]
users: [{name: me, user: {tokenFile: token}}]
)"},
      {"/b/config", R"(current-context: theirs
clusters:
- {name: shared, cluster: {server: "https://shared:6443", certificate-authority: ca.crt}}
users: [{name: me, user: {token: ignored}}]
contexts: [{name: mine, context: {cluster: other}}]
)"},
  };
  const KubeconfigSelection s = selectKubeconfigContext(files, "");
  EXPECT_EQ(s.contextName, "mine");
  EXPECT_EQ(s.server, "https://shared:6443");
  EXPECT_EQ(s.certificateAuthorityFile, "/b/ca.crt");  // relative to the file that said it
  EXPECT_EQ(s.tokenFile, "/a/token");
  EXPECT_EQ(s.token, "");
  EXPECT_EQ(s.clusterSource, "kubeconfig /b/config");
  EXPECT_EQ(s.userSource, "kubeconfig /a/config");
}

class KubeconfigFiles : public ::testing::Test {
 protected:
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  TempDir dir;
};

TEST_F(KubeconfigFiles, LoadsCaClientCertificateAndKeyFromFilesAndData) {
  const auto& pki = testPki();
  dir.write("pki/ca.crt", pki.caCertificate);
  dir.write("pki/client.key", pki.clientKey);
  const auto path = dir.write("kube/config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", certificate-authority: ../pki/ca.crt}}]
contexts: [{name: c, context: {cluster: k, user: u, namespace: ops}}]
users:
- name: u
  user:
    client-certificate-data: )" + base64(pki.clientCertificate) +
                                                 R"(
    client-key: ../pki/client.key
)");
  const ClusterConfig config = loadKubeconfig({path}, "", clock);
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
  EXPECT_EQ(config.certificateAuthorityPem, pki.caCertificate);
  EXPECT_EQ(config.clientCertificatePem, pki.clientCertificate);
  EXPECT_EQ(config.clientKeyPem, pki.clientKey);
  EXPECT_EQ(config.defaultNamespace, "ops");
  EXPECT_EQ(config.token, nullptr);
  EXPECT_EQ(config.source, "kubeconfig " + path.string() + ", context c");
}

TEST_F(KubeconfigFiles, TokenFileIsReadAndItsSourceRereadable) {
  dir.write("token", "first-token\n");
  const auto path = dir.write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {tokenFile: token, token: static-is-ignored}}]
)");
  const ClusterConfig config = loadKubeconfig({path}, "", clock);
  ASSERT_NE(config.token, nullptr);
  EXPECT_EQ(config.token->token(), "first-token");
  dir.write("token", "second-token");
  EXPECT_TRUE(config.token->refresh());
  EXPECT_EQ(config.token->token(), "second-token");
  EXPECT_EQ(config.defaultNamespace, "default");
}

TEST_F(KubeconfigFiles, StaticTokenCannotBeRefreshed) {
  const auto path = dir.write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {token: abc}}]
)");
  const ClusterConfig config = loadKubeconfig({path}, "", clock);
  ASSERT_NE(config.token, nullptr);
  EXPECT_EQ(config.token->token(), "abc");
  EXPECT_FALSE(config.token->refresh());
}

TEST_F(KubeconfigFiles, UnreadableOrBadMaterialIsNamedByField) {
  const auto& pki = testPki();
  auto errorFor = [&](const std::string& cluster, const std::string& user) {
    const auto path =
        dir.write("config", "current-context: c\nclusters: [{name: k, cluster: " + cluster +
                                "}]\ncontexts: [{name: c, context: {cluster: k, "
                                "user: u}}]\nusers: [{name: u, user: " +
                                user + "}]\n");
    try {
      loadKubeconfig({path}, "", clock);
    } catch (const KubeConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(errorFor("{server: \"https://k\", certificate-authority: missing.crt}", "{}")
                .find("clusters[k].cluster.certificate-authority: cannot read " +
                      (dir.path() / "missing.crt").string() + ": No such file or directory"),
            std::string::npos);
  EXPECT_NE(errorFor("{server: \"https://k\", certificate-authority-data: " +
                         base64("not a certificate") + "}",
                     "{}")
                .find("clusters[k].cluster.certificate-authority-data: not a PEM certificate"),
            std::string::npos);
  EXPECT_NE(errorFor("{server: \"https://k\"}", "{tokenFile: nothing-here}")
                .find("users[u].user.tokenFile: cannot read"),
            std::string::npos);
  dir.write("empty-token", "\n");
  EXPECT_NE(
      errorFor("{server: \"https://k\"}", "{tokenFile: empty-token}")
          .find("users[u].user.tokenFile: " + (dir.path() / "empty-token").string() + " is empty"),
      std::string::npos);
  EXPECT_NE(errorFor("{server: \"https://k\"}",
                     "{client-certificate-data: " + base64(pki.clientCertificate) +
                         ", client-key-data: " + base64(pki.otherKey) + "}")
                .find("users[u].user.client-key-data: the private key does not belong to the "
                      "client certificate"),
            std::string::npos);
  EXPECT_NE(errorFor("{server: \"https://k\"}",
                     "{client-certificate-data: " + base64(pki.clientCertificate) +
                         ", client-key-data: " + base64(pki.clientCertificate) + "}")
                .find("users[u].user.client-key-data: not an unencrypted PEM private key"),
            std::string::npos);
  EXPECT_NE(
      errorFor("{server: \"https://k\"}", "{client-certificate-data: " + base64(pki.clientKey) +
                                              ", client-key-data: " + base64(pki.clientKey) + "}")
          .find("users[u].user.client-certificate-data: not a PEM certificate"),
      std::string::npos);
}

TEST_F(KubeconfigFiles, MissingKubeconfigFileIsNamed) {
  try {
    loadKubeconfig({dir.path() / "absent"}, "", clock);
    FAIL();
  } catch (const KubeConfigError& error) {
    EXPECT_EQ(std::string(error.what()), "kubeconfig " + (dir.path() / "absent").string() +
                                             ": cannot read " + (dir.path() / "absent").string() +
                                             ": No such file or directory");
  }
}

}  // namespace
}  // namespace tenantshift::kube
