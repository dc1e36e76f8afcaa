// e2e: feature flags in a ConfigMap and in a Deployment's env on the real control plane
// (tests/e2e/cluster: kube-apiserver, etcd, kube-controller-manager running the Deployment and
// ReplicaSet controllers, the pod runner reporting pods of other images Ready), turned by
// `tenantshift run` / `rollback --scenario flag-off` with the plane's kubeconfig and by the
// operator's flag phase Job with a service account, against a PostgreSQL started by the test.
// Every wait is bounded (`kubectl wait --timeout`, or a bounded poll of a process's log where
// nothing can be awaited); nothing is timed.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "e2e/support/plane_commands.h"
#include "support/example_database.h"
#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/scratch_files.h"
#include "support/tenantshift_process.h"

namespace tenantshift::e2e {
namespace {

namespace fs = std::filesystem;
using testing::PostgresServer;
using testing::queryInt;
using testing::queryValue;
using testing::shellQuote;

// In the database URL the tests give (the harness' server trusts local connections, so it is
// never checked): it must appear in no log.
constexpr const char* kPassword = "ff-s3cret-pw";

// The example's migration.yaml with `featureFlag` (and `extraMetadata`, `extraSpec`) instead of
// its SQL flag.
std::string manifest(const std::string& featureFlag, const std::string& extraMetadata = "",
                     const std::string& extraSpec = "") {
  std::string text = testing::readFile(testing::exampleDir() / "migration.yaml");
  text = text.substr(0, text.find("  featureFlag:\n"));
  const std::string name = "  name: alphapulse\n";
  text.insert(text.find(name) + name.size(), extraMetadata);
  return text + extraSpec + "  featureFlag:\n" + featureFlag;
}

// A step's state in the ledger.
std::string stepState(const std::string& url, const std::string& step) {
  return queryValue(url,
                    "SELECT state FROM tenantshift.step WHERE migration = 'alphapulse' AND "
                    "step_id = '" +
                        step + "'");
}

// Rows of users the application's role sees without a tenant: all before enforcement, none
// after.
std::int64_t appRowsWithoutTenant(const std::string& url) {
  return queryInt(testing::urlAs(url, "alphapulse_app", ""), "SELECT count(*) FROM users");
}

class FeatureFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = testNamespace("ff");
    kubectlOk("create namespace " + ns_);
    url_ = PostgresServer::shared().createDatabase("flags");
    testing::loadExample(url_, "0.01");
    passwordUrl_ = "postgresql://postgres:" + std::string(kPassword) +
                   "@127.0.0.1:" + std::to_string(PostgresServer::shared().port()) + "/" +
                   testing::databaseName(url_);
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr
          << kubectl("get all,configmaps,resourcequotas,events -n " + ns_ + " -o wide").output;
    }
    kubectl("delete namespace " + ns_ + " --wait=false");
  }

  fs::path file(const std::string& name, const std::string& text) {
    return testing::writeFile(scratch_.path(), name, text);
  }

  // `tenantshift ARGS` as the CLI user runs it, the database URL (with its password) in the
  // environment.
  testing::CliResult tenantshift(const std::vector<std::string>& args) {
    testing::CliResult result = testing::runTenantshift(passwordUrl_, args);
    EXPECT_EQ(result.output.find(kPassword), std::string::npos) << "the password in the output";
    return result;
  }

  // The Deployment the application runs as: `replicas` pods (another image: the pod runner
  // reports them Ready), rolling one new pod in before an old one goes, RLS_ENABLED=false.
  void createDeployment(int replicas) {
    kubectlOk("apply -n " + ns_ + " -f " +
              shellQuote(file("deployment.yaml", R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: alphapulse-api}
spec:
  replicas: )" + std::to_string(replicas) + R"(
  selector: {matchLabels: {app: alphapulse-api}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: alphapulse-api}}
    spec:
      containers:
        - name: api
          image: registry.example/alphapulse-api:1
          env: [{name: LOG_LEVEL, value: info}, {name: RLS_ENABLED, value: "false"}]
)")
                             .string()));
    kubectlOk("rollout status deployment/alphapulse-api -n " + ns_ + " --timeout=120s");
  }

  std::string deploymentFlag(const std::string& ns) {
    return "    deployment:\n" + (ns.empty() ? "" : "      namespace: " + ns + "\n") +
           "      name: alphapulse-api\n      container: api\n      env: RLS_ENABLED\n"
           "      \"on\": \"true\"\n      \"off\": \"false\"\n      rolloutTimeout: 5m\n";
  }

  std::string envValue() {
    return kubectlOk("get deployment alphapulse-api -n " + ns_ +
                     " -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name==\"RLS_"
                     "ENABLED\")].value}'");
  }

  // The ReplicaSets of the Deployment: RLS_ENABLED of each one's template -> its spec.replicas
  // and status.availableReplicas.
  std::map<std::string, std::pair<int, int>> replicaSets() {
    std::map<std::string, std::pair<int, int>> out;
    const nlohmann::json list = kubectlJson("get rs -n " + ns_ + " -l app=alphapulse-api");
    for (const auto& rs : list["items"]) {
      std::string value;
      for (const auto& env : rs["spec"]["template"]["spec"]["containers"][0]["env"]) {
        if (env["name"] == "RLS_ENABLED") {
          value = env.value("value", "");
        }
      }
      out[value] = std::make_pair(
          rs["spec"].value("replicas", 0),
          rs.value("status", nlohmann::json::object()).value("availableReplicas", 0));
    }
    return out;
  }

  // A kubeconfig for service account `account` of the test's namespace (a token it is issued).
  fs::path serviceAccountKubeconfig(const std::string& account) {
    kubectlOk("create serviceaccount " + account + " -n " + ns_);
    std::string token = kubectlOk("create token " + account + " -n " + ns_ + " --duration=1h");
    token.erase(token.find_last_not_of(" \n") + 1);
    const nlohmann::json admin = kubectlJson("config view --raw --minify --flatten");
    const nlohmann::json& cluster = admin["clusters"][0]["cluster"];
    nlohmann::json config = {{"apiVersion", "v1"}, {"kind", "Config"}, {"current-context", "e2e"}};
    config["clusters"][0]["name"] = "e2e";
    config["clusters"][0]["cluster"]["server"] = cluster["server"];
    config["clusters"][0]["cluster"]["certificate-authority-data"] =
        cluster["certificate-authority-data"];
    config["users"][0]["name"] = account;
    config["users"][0]["user"]["token"] = token;
    config["contexts"][0]["name"] = "e2e";
    config["contexts"][0]["context"] = {{"cluster", "e2e"}, {"user", account}};
    return file(account + ".kubeconfig", config.dump(2));
  }

  std::string ns_;
  std::string url_;
  std::string passwordUrl_;
  testing::ScratchDir scratch_;
};

// The CRD: one kind of flag at a time, on and off different, every field described.
TEST_F(FeatureFlags, TheApiServerRefusesTwoKindsOfFlagAtOnce) {
  applyCrd();
  auto apply = [&](const std::string& flag) {
    return kubectl("apply --dry-run=server -n " + ns_ + " -f " +
                   shellQuote(file("tm.yaml", manifest(flag)).string()));
  };
  const testing::CommandResult both =
      apply("    sql: {\"on\": \"SELECT 1\", \"off\": \"SELECT 0\"}\n" + deploymentFlag(""));
  EXPECT_NE(both.exitCode, 0);
  EXPECT_NE(both.output.find("give exactly one of featureFlag.sql, featureFlag.configMap or "
                             "featureFlag.deployment"),
            std::string::npos)
      << both.output;
  const testing::CommandResult same =
      apply("    configMap: {name: c, key: k, \"on\": \"x\", \"off\": \"x\"}\n");
  EXPECT_NE(same.output.find("featureFlag.configMap.on and off must differ"), std::string::npos)
      << same.output;
  const testing::CommandResult badEnv = apply(
      "    deployment: {name: api, container: api, env: \"1X\", \"on\": \"1\", \"off\": "
      "\"0\"}\n");
  EXPECT_NE(badEnv.output.find("spec.featureFlag.deployment.env"), std::string::npos)
      << badEnv.output;
  EXPECT_EQ(apply(deploymentFlag(ns_)).exitCode, 0);
  const std::string explained =
      kubectlOk("explain tm.spec.featureFlag.deployment --recursive=false");
  for (const char* field :
       {"namespace", "name", "container", "env", "on", "off", "rolloutTimeout"}) {
    EXPECT_NE(explained.find(std::string(field) + "\t"), std::string::npos) << field;
  }
  // The description, its lines joined.
  const std::string description =
      std::regex_replace(explained, std::regex("\\s+"), std::string(" "));
  EXPECT_NE(description.find("The flag phase sets it to on and waits until the rollout this "
                             "starts is complete"),
            std::string::npos)
      << explained;
}

// A ConfigMap flag with the CLI, as a service account: refused with the Role to grant while it
// may not touch the ConfigMap (enforcement not run); once granted, on before enforcement; off
// with rollback flag-off.
TEST_F(FeatureFlags, ConfigMapFlagWithTheCli) {
  kubectlOk("create configmap alphapulse-config -n " + ns_ +
            " --from-literal=RLS_ENABLED=false --from-literal=LOG_LEVEL=info");
  const fs::path kubeconfig = serviceAccountKubeconfig("migrator");
  // No namespace in the flag: the manifest's metadata.namespace.
  const fs::path migration =
      file("migration.yaml",
           manifest("    configMap: {name: alphapulse-config, key: RLS_ENABLED, \"on\": \"true\", "
                    "\"off\": \"false\"}\n",
                    "  namespace: " + ns_ + "\n"));

  // The plan shows the step, what it sets up and down, and that it takes no lock; it needs no
  // cluster.
  const testing::CliResult plan = tenantshift({"plan", "-f", migration.string()});
  ASSERT_EQ(plan.exitCode, 0) << plan.output;
  EXPECT_NE(plan.out.find("flag/on: turn the application's feature flag on "
                          "(spec.featureFlag.configMap): ConfigMap alphapulse-config key "
                          "RLS_ENABLED: \"true\"\n     lock none, risk none, undo risk none, "
                          "flag-switch\n     up:    set ConfigMap alphapulse-config key "
                          "RLS_ENABLED: \"true\"\n     down:  set ConfigMap alphapulse-config key "
                          "RLS_ENABLED: \"false\"\n"),
            std::string::npos)
      << plan.out;
  const testing::CliResult planJson = tenantshift({"plan", "-f", migration.string(), "-o", "json"});
  ASSERT_EQ(planJson.exitCode, 0) << planJson.output;
  const nlohmann::json planned = nlohmann::json::parse(planJson.out);
  for (const auto& step : planned["steps"]) {
    if (step["id"] == "flag/on") {
      EXPECT_EQ(step["flagSwitch"], nlohmann::json({{"kind", "ConfigMap"},
                                                    {"namespace", ""},
                                                    {"name", "alphapulse-config"},
                                                    {"key", "RLS_ENABLED"},
                                                    {"on", "true"},
                                                    {"off", "false"}}));
    }
  }

  const testing::CliResult refused =
      tenantshift({"run", "-f", migration.string(), "--kubeconfig", kubeconfig.string()});
  EXPECT_EQ(refused.exitCode, 1) << refused.output;
  const std::string who = "system:serviceaccount:" + ns_ + ":migrator";
  EXPECT_NE(refused.err.find("refused to let " + who +
                             " get configmaps \"alphapulse-config\" in "
                             "namespace " +
                             ns_ + " (403 Forbidden)"),
            std::string::npos)
      << refused.err;
  const std::string grantRole = "create role tenantshift-feature-flag -n " + ns_ +
                                " --verb=get,patch --resource=configmaps "
                                "--resource-name=alphapulse-config";
  const std::string grantBinding = "create rolebinding tenantshift-feature-flag -n " + ns_ +
                                   " --role=tenantshift-feature-flag --serviceaccount=" + ns_ +
                                   ":migrator";
  EXPECT_NE(refused.err.find("`kubectl " + grantRole + "`"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("`kubectl " + grantBinding + "`"), std::string::npos) << refused.err;
  EXPECT_EQ(stepState(url_, "flag/on"), "failed");
  EXPECT_EQ(stepState(url_, "flag/enforce"), "pending");
  EXPECT_GT(appRowsWithoutTenant(url_), 0);

  // Granted as the message says: the run resumes at the flag.
  kubectlOk(grantRole);
  kubectlOk(grantBinding);
  const testing::CliResult run =
      tenantshift({"run", "-f", migration.string(), "--kubeconfig", kubeconfig.string()});
  ASSERT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(kubectlOk("get configmap alphapulse-config -n " + ns_ +
                      " -o jsonpath='{.data.RLS_ENABLED},{.data.LOG_LEVEL}'"),
            "true,info");
  EXPECT_EQ(stepState(url_, "flag/on"), "done");
  EXPECT_EQ(stepState(url_, "flag/enforce"), "done");
  EXPECT_EQ(
      queryValue(url_,
                 "SELECT (SELECT finished_at FROM tenantshift.step WHERE step_id = 'flag/on') "
                 "<= (SELECT started_at FROM tenantshift.step WHERE step_id = "
                 "'flag/enforce')"),
      "t")
      << "enforced before the flag was on";
  EXPECT_EQ(appRowsWithoutTenant(url_), 0);

  const testing::CliResult off = tenantshift({"rollback", "-f", migration.string(), "--scenario",
                                              "flag-off", "--kubeconfig", kubeconfig.string()});
  ASSERT_EQ(off.exitCode, 0) << off.output;
  EXPECT_EQ(
      kubectlOk("get configmap alphapulse-config -n " + ns_ + " -o jsonpath='{.data.RLS_ENABLED}'"),
      "false");
  EXPECT_EQ(stepState(url_, "flag/on"), "rolled_back");
  EXPECT_GT(appRowsWithoutTenant(url_), 0);
}

// A Deployment flag with the CLI: the env var set, then enforcement held back while the rollout
// it started cannot complete (a ResourceQuota leaves no room for the new pod); once it can, the
// new ReplicaSet is available before enforcement. rollback flag-off sets it back and waits for
// that rollout too.
TEST_F(FeatureFlags, DeploymentFlagWithTheCliWaitsForTheRollout) {
  createDeployment(2);
  kubectlOk("create quota pods -n " + ns_ + " --hard=pods=2");
  kubectlOk("wait resourcequota/pods -n " + ns_ +
            " --for=jsonpath='{.status.hard.pods}'=2 --timeout=60s");
  // The flag names its namespace; the manifest has none (the context's would be "default").
  const fs::path migration = file("migration.yaml", manifest(deploymentFlag(ns_)));
  testing::TenantshiftProcess run(passwordUrl_, {"run", "-f", migration.string(), "--kubeconfig",
                                                 kubeconfig(), "--log-level", "info"});

  kubectlOk("wait deployment/alphapulse-api -n " + ns_ +
            " --for=jsonpath='{.spec.template.spec.containers[0].env[1].value}'=true "
            "--timeout=300s");
  ASSERT_TRUE(
      pollUntil([&] { return run.output().find("waiting for the rollout") != std::string::npos; },
                std::chrono::seconds(60)))
      << run.output();
  // The new pod cannot be created: the rollout is stuck, and so is the run, before enforce.
  const nlohmann::json stuck = kubectlJson("get deployment alphapulse-api -n " + ns_);
  EXPECT_LT(stuck["status"].value("updatedReplicas", 0), 2) << stuck["status"].dump();
  EXPECT_EQ(run.poll(), std::nullopt) << run.output();
  EXPECT_EQ(stepState(url_, "flag/on"), "running");
  EXPECT_EQ(stepState(url_, "flag/enforce"), "pending");
  EXPECT_GT(appRowsWithoutTenant(url_), 0);

  kubectlOk("delete resourcequota pods -n " + ns_);
  ASSERT_TRUE(pollUntil([&] { return run.poll().has_value(); }, std::chrono::seconds(300)))
      << run.output();
  ASSERT_EQ(run.poll(), 0) << run.output();
  EXPECT_NE(run.output().find("rollout complete: 2 of 2 updated replicas are available"),
            std::string::npos)
      << run.output();
  EXPECT_EQ(envValue(), "true");
  EXPECT_EQ(replicaSets(),
            (std::map<std::string, std::pair<int, int>>{{"false", {0, 0}}, {"true", {2, 2}}}));
  EXPECT_EQ(stepState(url_, "flag/on"), "done");
  EXPECT_EQ(stepState(url_, "flag/enforce"), "done");
  EXPECT_EQ(appRowsWithoutTenant(url_), 0);
  EXPECT_EQ(run.output().find(kPassword), std::string::npos);

  const testing::CliResult off = tenantshift({"rollback", "-f", migration.string(), "--scenario",
                                              "flag-off", "--kubeconfig", kubeconfig()});
  ASSERT_EQ(off.exitCode, 0) << off.output;
  EXPECT_EQ(envValue(), "false");
  // Back on the first template's ReplicaSet, every pod of it available when rollback ended.
  EXPECT_EQ(replicaSets(),
            (std::map<std::string, std::pair<int, int>>{{"false", {2, 2}}, {"true", {0, 0}}}));
  EXPECT_EQ(stepState(url_, "flag/on"), "rolled_back");
  EXPECT_GT(appRowsWithoutTenant(url_), 0);
}

// The operator: the flag phase's Job, with a service account the test grants get and patch on
// the Deployment, turns the flag on and waits for the rollout; the migration reaches Ready.
TEST_F(FeatureFlags, DeploymentFlagThroughTheOperator) {
  applyCrd();
  createDeployment(1);
  kubectlOk("create secret generic alphapulse-db -n " + ns_ +
            " --from-literal=url=" + shellQuote(passwordUrl_));
  kubectlOk("label secret alphapulse-db -n " + ns_ + " tenantshift.dev/database=true");
  kubectlOk("create serviceaccount migrator -n " + ns_);
  kubectlOk("create role tenantshift-feature-flag -n " + ns_ +
            " --verb=get,patch --resource=deployments.apps --resource-name=alphapulse-api");
  kubectlOk("create rolebinding tenantshift-feature-flag -n " + ns_ +
            " --role=tenantshift-feature-flag --serviceaccount=" + ns_ + ":migrator");
  testing::TenantshiftProcess operatorProcess(
      "", {"operator", "--kubeconfig", kubeconfig(), "--namespace", ns_, "--image",
           "registry.example/tenantshift:e2e"});

  std::string yaml =
      manifest(deploymentFlag(""), "", "  jobTemplate: {serviceAccountName: migrator}\n");
  const std::string database = "  database:\n";
  yaml.insert(yaml.find(database) + database.size(),
              "    urlSecretRef: {name: alphapulse-db, key: url}\n");
  kubectlOk("apply -n " + ns_ + " -f " + shellQuote(file("tm.yaml", yaml).string()));
  const testing::CommandResult ready =
      kubectl("wait -n " + ns_ + " --for=condition=Ready tm/alphapulse --timeout=600s");
  ASSERT_EQ(ready.exitCode, 0) << ready.output << "\noperator log:\n"
                               << operatorProcess.output()
                               << kubectl("get tm alphapulse -n " + ns_ + " -o yaml").output;

  EXPECT_EQ(envValue(), "true");
  EXPECT_EQ(replicaSets(),
            (std::map<std::string, std::pair<int, int>>{{"false", {0, 0}}, {"true", {1, 1}}}));
  EXPECT_EQ(kubectlOk("get tm alphapulse -n " + ns_ +
                      " -o jsonpath='{.status.conditions[?(@.type==\"FlagFlipped\")].status}'"),
            "True");
  EXPECT_EQ(stepState(url_, "flag/on"), "done");
  EXPECT_EQ(appRowsWithoutTenant(url_), 0);
  // The service account's token only in the flag phase's pod.
  const nlohmann::json jobs = kubectlJson("get jobs -n " + ns_);
  for (const auto& job : jobs["items"]) {
    const nlohmann::json& pod = job["spec"]["template"]["spec"];
    EXPECT_EQ(pod["automountServiceAccountToken"],
              job["metadata"]["labels"]["tenantshift.dev/phase"] == "flag")
        << job["metadata"]["name"];
  }
  const std::string flagLog = kubectlOk("logs job/alphapulse-flag-g1 -n " + ns_);
  EXPECT_NE(flagLog.find("rollout complete: 1 of 1 updated replicas are available"),
            std::string::npos)
      << flagLog;
  EXPECT_EQ(flagLog.find(kPassword), std::string::npos);
  EXPECT_EQ(operatorProcess.output().find(kPassword), std::string::npos);
  // Deleted while the operator runs, so that its finalizer goes before the namespace does.
  kubectlOk("delete tm alphapulse -n " + ns_ + " --timeout=120s");
}

}  // namespace
}  // namespace tenantshift::e2e
