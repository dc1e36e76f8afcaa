// How the client authenticates and trusts the API server: the admin kubeconfig's client
// certificate, a service account token (RBAC refusals as 403 Forbidden), a token file re-read
// after a 401, the in-cluster configuration, and a server certificate it must not trust.
#include <gtest/gtest.h>

#include <fstream>

#include "kube/config_loader.h"
#include "kube/in_cluster_config.h"
#include "kube/kube_error.h"
#include "kube/kubeconfig.h"
#include "kube_e2e.h"
#include "unit/kube/test_pki.h"

namespace tenantshift::kube::e2e {
namespace {

// Who the API server says we are (the SelfSubjectReview API).
nlohmann::json whoAmI(KubeClient& client) {
  const nlohmann::json review = client.create(
      {{"authentication.k8s.io", "v1", "selfsubjectreviews", false}, "", "", ""},
      {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}}, {});
  return review.at("status").at("userInfo");
}

template <typename Call>
KubeError errorOf(Call&& call) {
  try {
    call();
  } catch (const KubeError& error) {
    return error;
  }
  ADD_FAILURE() << "expected a KubeError";
  return KubeError("", "", 0, "", "");
}

class Auth : public KubeE2E {
 protected:
  // A service account that may only get and list ConfigMaps in the test's namespace.
  void makeReader() {
    admin_->create(
        {resources::serviceAccounts(), ns_, "", ""},
        {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "reader"}}}}, {});
    admin_->create(
        {resources::roles(), ns_, "", ""},
        {{"apiVersion", "rbac.authorization.k8s.io/v1"},
         {"kind", "Role"},
         {"metadata", {{"name", "read-configmaps"}}},
         {"rules",
          {{{"apiGroups", {""}}, {"resources", {"configmaps"}}, {"verbs", {"get", "list"}}}}}},
        {});
    admin_->create(
        {resources::roleBindings(), ns_, "", ""},
        {{"apiVersion", "rbac.authorization.k8s.io/v1"},
         {"kind", "RoleBinding"},
         {"metadata", {{"name", "reader"}}},
         {"roleRef",
          {{"apiGroup", "rbac.authorization.k8s.io"},
           {"kind", "Role"},
           {"name", "read-configmaps"}}},
         {"subjects", {{{"kind", "ServiceAccount"}, {"name", "reader"}, {"namespace", ns_}}}}},
        {});
  }
  // A kubeconfig in the state directory with the given user fields (YAML flow map).
  std::filesystem::path writeKubeconfig(const std::string& name, const std::string& user) {
    const std::filesystem::path dir = stateDir() / "kube-client-e2e" / ns_;
    std::filesystem::create_directories(dir);
    const std::filesystem::path path = dir / name;
    std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: reader\n"
                        << "clusters:\n- name: e2e\n  cluster:\n    server: "
                        << planeVariable("E2E_API_SERVER")
                        << "\n    certificate-authority: " << planeVariable("E2E_CA_FILE")
                        << "\ncontexts:\n- name: reader\n  context: {cluster: e2e, user: reader, "
                        << "namespace: " << ns_ << "}\nusers:\n- name: reader\n  user: " << user
                        << "\n";
    return path;
  }
  std::shared_ptr<Clock> clock_ = std::make_shared<SteadyClock>();
};

TEST_F(Auth, AdminKubeconfigFromKubeconfigVariableAuthenticatesWithItsClientCertificate) {
  ConfigRequest request;
  request.environment = [](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBECONFIG") {
      return (stateDir() / "admin.kubeconfig").string();
    }
    return std::nullopt;
  };
  const ClusterConfig config = loadClusterConfig(request);
  EXPECT_FALSE(config.clientCertificatePem.empty());
  EXPECT_FALSE(config.clientKeyPem.empty());
  EXPECT_EQ(config.token, nullptr);
  EXPECT_EQ(config.server, planeVariable("E2E_API_SERVER"));

  CpprestKubeClient client(config);
  const nlohmann::json user = whoAmI(client);
  EXPECT_EQ(user["username"], "kubernetes-admin");
  EXPECT_NE(std::find(user["groups"].begin(), user["groups"].end(), "system:masters"),
            user["groups"].end())
      << user.dump();
}

TEST_F(Auth, ServiceAccountTokenKubeconfigIsRefusedWhatRbacDoesNotGrant) {
  makeReader();
  admin_->create(configMaps(), newConfigMap("visible", {{"k", "v"}}), {});
  const std::string token = requestToken(*admin_, ns_, "reader");
  CpprestKubeClient reader(
      loadKubeconfig({writeKubeconfig("token.kubeconfig", "{token: " + token + "}")}, "", clock_));
  EXPECT_EQ(reader.config().defaultNamespace, ns_);
  EXPECT_EQ(whoAmI(reader)["username"], "system:serviceaccount:" + ns_ + ":reader");

  EXPECT_EQ(reader.get(configMap("visible"))["data"]["k"], "v");
  EXPECT_GE(reader.list(configMaps(), {}, {})["items"].size(), 1U);

  const KubeError secrets = errorOf([&] {
    reader.list({resources::secrets(), ns_, "", ""}, {}, {});
  });
  EXPECT_EQ(secrets.code(), 403);
  EXPECT_TRUE(secrets.isForbidden());
  EXPECT_EQ(secrets.reason(), "Forbidden");
  EXPECT_EQ(secrets.serverMessage(),
            "secrets is forbidden: User \"system:serviceaccount:" + ns_ +
                ":reader\" cannot list resource \"secrets\" in API group \"\" in the namespace \"" +
                ns_ + "\"");
  EXPECT_NE(std::string(secrets.what()).find("grant the verb on the resource in a Role"),
            std::string::npos);

  const KubeError write =
      errorOf([&] { reader.create(configMaps(), newConfigMap("written", {}), {}); });
  EXPECT_TRUE(write.isForbidden());
  EXPECT_EQ(write.verb(), "POST");
}

TEST_F(Auth, TokenFileIsRereadAfterA401AndTheRequestRetriedOnce) {
  makeReader();
  const std::filesystem::path tokenFile = stateDir() / "kube-client-e2e" / ns_ / "token";
  std::filesystem::create_directories(tokenFile.parent_path());
  std::ofstream(tokenFile) << "not-a-valid-token\n";
  CpprestKubeClient reader(
      loadKubeconfig({writeKubeconfig("file.kubeconfig", "{tokenFile: token}")}, "", clock_));

  // The file's token is refused: re-read (still the same) and retried once, then reported.
  const KubeError refused = errorOf([&] { reader.list(configMaps(), {}, {}); });
  EXPECT_EQ(refused.code(), 401);
  EXPECT_TRUE(refused.isUnauthorized());
  EXPECT_EQ(refused.reason(), "Unauthorized");

  // The file now holds a valid token (as after the kubelet rotated it). The client still holds
  // the old one (read less than a minute ago), gets a 401, re-reads the file and succeeds.
  std::ofstream(tokenFile, std::ios::trunc) << requestToken(*admin_, ns_, "reader") << "\n";
  EXPECT_NO_THROW(reader.list(configMaps(), {}, {}));
  EXPECT_EQ(whoAmI(reader)["username"], "system:serviceaccount:" + ns_ + ":reader");
}

TEST_F(Auth, InClusterConfigurationFromServiceAccountFiles) {
  makeReader();
  admin_->create(configMaps(), newConfigMap("from-pod", {{"k", "v"}}), {});
  const std::filesystem::path dir = stateDir() / "kube-client-e2e" / ns_ / "serviceaccount";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << requestToken(*admin_, ns_, "reader");
  std::filesystem::copy_file(planeVariable("E2E_CA_FILE"), dir / "ca.crt");
  std::ofstream(dir / "namespace") << ns_;

  const std::string server = planeVariable("E2E_API_SERVER");  // https://127.0.0.1:PORT
  const std::string port = server.substr(server.rfind(':') + 1);
  const Environment pod = [port](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBERNETES_SERVICE_HOST") {
      return "127.0.0.1";
    }
    if (name == "KUBERNETES_SERVICE_PORT") {
      return port;
    }
    return std::nullopt;
  };
  ConfigRequest request;
  request.environment = pod;
  request.inClusterPaths = {dir / "token", dir / "ca.crt", dir / "namespace"};
  CpprestKubeClient client(loadClusterConfig(request));
  EXPECT_EQ(client.config().defaultNamespace, ns_);
  EXPECT_EQ(client.get({resources::configMaps(), client.config().defaultNamespace, "from-pod",
                        ""})["data"]["k"],
            "v");
}

TEST_F(Auth, ServerCertificateNotSignedByTheConfiguredCaIsRefused) {
  ClusterConfig config = admin_->config();
  config.certificateAuthorityPem = testing::testPki().caCertificate;  // some other CA
  CpprestKubeClient client(config);
  try {
    client.get({resources::namespaces(), "", ns_, ""});
    FAIL() << "the server's certificate was accepted";
  } catch (const KubeConnectionError& error) {
    EXPECT_EQ(error.server(), config.server);
    EXPECT_NE(std::string(error.what()).find("the TLS handshake failed"), std::string::npos)
        << error.what();
  }
}

TEST_F(Auth, NoCredentialsIsForbiddenForAnonymous) {
  ClusterConfig config = admin_->config();
  config.clientCertificatePem.clear();
  config.clientKeyPem.clear();
  CpprestKubeClient anonymous(config);
  const KubeError error = errorOf([&] { anonymous.list(configMaps(), {}, {}); });
  EXPECT_TRUE(error.isForbidden()) << error.what();
  EXPECT_NE(error.serverMessage().find("system:anonymous"), std::string::npos);
}

}  // namespace
}  // namespace tenantshift::kube::e2e
