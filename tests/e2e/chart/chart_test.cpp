// e2e: charts/tenantshift with helm (tests/e2e/tools) on the real control plane
// (tests/e2e/cluster): every variant lints, renders and is accepted by the API server in a
// namespace that enforces the restricted Pod Security Standard; the chart's CRD is the
// repository's; the installed RBAC grants the operator's ServiceAccount exactly what the operator
// needs and nothing else; and the operator the chart installs runs in its pods, in-cluster, as
// that ServiceAccount, and converts a migration, whose health Flux (kstatus) and Argo CD (the
// chart's health check) read right. Every wait is bounded and nothing is timed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/support/gitops_health.h"
#include "e2e/support/plane_commands.h"
#include "support/example_database.h"
#include "support/postgres_server.h"
#include "support/scratch_files.h"

namespace tenantshift::e2e {
namespace {

namespace fs = std::filesystem;
using testing::shellQuote;

const fs::path kSource = TENANTSHIFT_SOURCE_DIR;
const std::string kChart = (kSource / "charts" / "tenantshift").string();
constexpr const char* kImageSets =
    " --set image.repository=registry.example/tenantshift --set image.tag=e2e";

// One request of `kubectl auth can-i`: VERB RESOURCE[/SUBRESOURCE] in a namespace.
struct Access {
  std::string verb;
  std::string resource;
  std::string subresource;
  std::string ns;  // "" = cluster-wide (--all-namespaces for namespaced resources)
};

std::string describe(const Access& a) {
  return a.verb + " " + a.resource + (a.subresource.empty() ? "" : "/" + a.subresource) +
         (a.ns.empty() ? " cluster-wide" : " in " + a.ns);
}

// What the operator does in a namespace it watches (templates/rbac.yaml says why each).
std::vector<Access> operatorAccess(const std::string& ns) {
  std::vector<Access> access;
  for (const char* verb : {"list", "watch", "patch"}) {
    access.push_back({verb, "tenantmigrations.tenantshift.dev", "", ns});
  }
  access.push_back({"patch", "tenantmigrations.tenantshift.dev", "status", ns});
  access.push_back({"update", "tenantmigrations.tenantshift.dev", "finalizers", ns});
  for (const char* verb : {"list", "watch", "create", "delete"}) {
    access.push_back({verb, "jobs.batch", "", ns});
  }
  for (const char* verb : {"get", "list", "watch", "create", "update"}) {
    access.push_back({verb, "configmaps", "", ns});
  }
  access.push_back({"get", "secrets", "", ns});
  access.push_back({"list", "pods", "", ns});
  access.push_back({"watch", "pods", "", ns});
  access.push_back({"create", "events", "", ns});
  return access;
}

// What it must not do there: read every Secret, change what it does not own, delete beyond its
// Jobs, run pods itself, or grant itself more.
std::vector<Access> deniedAccess(const std::string& ns) {
  std::vector<Access> access;
  for (const char* verb : {"list", "watch", "create", "update", "patch", "delete"}) {
    access.push_back({verb, "secrets", "", ns});
  }
  for (const char* verb : {"get", "create", "update", "delete", "deletecollection"}) {
    access.push_back({verb, "tenantmigrations.tenantshift.dev", "", ns});
  }
  access.push_back({"update", "tenantmigrations.tenantshift.dev", "status", ns});
  for (const char* verb : {"update", "patch", "deletecollection"}) {
    access.push_back({verb, "jobs.batch", "", ns});
  }
  access.push_back({"delete", "configmaps", "", ns});
  access.push_back({"patch", "configmaps", "", ns});
  for (const char* verb : {"get", "create", "delete"}) {
    access.push_back({verb, "pods", "", ns});
  }
  access.push_back({"create", "pods", "exec", ns});
  access.push_back({"patch", "deployments.apps", "", ns});
  access.push_back({"create", "roles.rbac.authorization.k8s.io", "", ns});
  access.push_back({"create", "rolebindings.rbac.authorization.k8s.io", "", ns});
  access.push_back({"delete", "events", "", ns});
  access.push_back({"*", "*", "", ns});
  return access;
}

// Leader election: create a Lease, get and update only the one named leaderElection.id, in the
// release's namespace only.
std::vector<Access> leaseAccess(const std::string& ns) {
  return {{"create", "leases.coordination.k8s.io", "", ns},
          {"get", "leases.coordination.k8s.io/tenantshift-operator", "", ns},
          {"update", "leases.coordination.k8s.io/tenantshift-operator", "", ns}};
}
std::vector<Access> deniedLeaseAccess(const std::string& releaseNs, const std::string& other) {
  return {{"get", "leases.coordination.k8s.io/another-lease", "", releaseNs},
          {"update", "leases.coordination.k8s.io/another-lease", "", releaseNs},
          {"delete", "leases.coordination.k8s.io/tenantshift-operator", "", releaseNs},
          {"list", "leases.coordination.k8s.io", "", releaseNs},
          {"create", "leases.coordination.k8s.io", "", other},
          {"get", "leases.coordination.k8s.io/tenantshift-operator", "", other}};
}

std::vector<Access> clusterWideDenied() {
  return {{"delete", "namespaces", "", ""},
          {"get", "nodes", "", ""},
          {"create", "clusterrolebindings.rbac.authorization.k8s.io", "", ""},
          {"list", "secrets", "", ""},
          {"delete", "customresourcedefinitions.apiextensions.k8s.io", "", ""}};
}

class Chart : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = testNamespace("chart").substr(0, 50);
    apps_ = ns_ + "-apps";
    // Both enforce the restricted Pod Security Standard: the operator's pods and its Jobs' pods
    // are admitted only if they meet it.
    for (const std::string& ns : {ns_, apps_}) {
      kubectlOk("create namespace " + ns);
      kubectlOk("label namespace " + ns + " pod-security.kubernetes.io/enforce=restricted");
    }
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const std::string& ns : {ns_, apps_}) {
        std::cerr << kubectl("get all,tm,leases,events -n " + ns + " -o wide").output;
      }
      std::cerr
          << kubectl("logs -n " + ns_ + " -l app.kubernetes.io/name=tenantshift --tail=60").output;
    }
    // The migrations first, while the operator runs to remove their finalizers.
    kubectl("delete tm --all -n " + apps_ + " --timeout=120s");
    for (const std::string& release : releases_) {
      helm("uninstall " + release + " -n " + ns_ + " --wait --timeout 120s");
    }
    for (const std::string& ns : {ns_, apps_}) {
      kubectl("delete namespace " + ns + " --wait=false");
    }
  }

  // helm install RELEASE into ns_, waiting until every object it made is Current (helm's
  // watcher is kstatus, as Flux's is).
  void install(const std::string& release, const std::string& sets) {
    const auto result = helm("install " + release + " " + shellQuote(kChart) + " -n " + ns_ + sets +
                             " --wait --timeout 180s");
    releases_.push_back(release);
    ASSERT_EQ(result.exitCode, 0) << result.output;
  }

  // kubectl apply --dry-run=server of `yaml`: the objects as the API server would store them.
  nlohmann::json dryRun(const std::string& yaml, std::string& warnings) {
    scratch_.push_back(std::make_unique<testing::ScratchDir>());
    const fs::path file = testing::writeFile(scratch_.back()->path(), "rendered.yaml", yaml);
    const SplitOutput applied =
        kubectlSplit("apply --dry-run=server -o json -f " + shellQuote(file.string()));
    EXPECT_EQ(applied.exitCode, 0) << applied.err;
    warnings = applied.err;
    if (applied.exitCode != 0) {
      return nlohmann::json::array();
    }
    const nlohmann::json out = nlohmann::json::parse(applied.out);
    return out.value("kind", "") == "List" ? out["items"] : nlohmann::json::array({out});
  }

  // The ServiceAccount's answers, request by request: every one of `access` must be `allowed`.
  static void expectCan(const std::string& user, const std::vector<Access>& access, bool allowed) {
    for (const Access& a : access) {
      std::string args =
          "auth can-i " + shellQuote(a.verb) + " " + shellQuote(a.resource) + " --as=" + user;
      args += a.subresource.empty() ? "" : " --subresource=" + a.subresource;
      args += a.ns.empty() ? " --all-namespaces" : " -n " + a.ns;
      const testing::CommandResult answer = kubectl(args);
      EXPECT_EQ(answer.exitCode == 0, allowed)
          << user << (allowed ? " cannot " : " can ") << describe(a) << ": " << answer.output;
    }
  }

  static std::string serviceAccount(const std::string& ns, const std::string& name) {
    return "system:serviceaccount:" + ns + ":" + name;
  }

  std::string ns_;    // the release's
  std::string apps_;  // the applications', where TenantMigrations live
  std::vector<std::string> releases_;
  std::vector<std::unique_ptr<testing::ScratchDir>> scratch_;
};

std::vector<std::string> kindsOf(const nlohmann::json& objects) {
  std::vector<std::string> kinds;
  for (const auto& o : objects) {
    kinds.push_back(o.value("kind", "") + " " + o["metadata"].value("namespace", ""));
  }
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

const nlohmann::json& deploymentOf(const nlohmann::json& objects) {
  for (const auto& o : objects) {
    if (o.value("kind", "") == "Deployment") {
      return o;
    }
  }
  throw std::runtime_error("the chart rendered no Deployment: " + objects.dump(2));
}

// The default values, two replicas, and one watched namespace (Role instead of ClusterRole):
// helm lint --strict passes, helm template renders, and the API server accepts every object,
// with no Pod Security warning in a namespace that enforces the restricted standard.
TEST_F(Chart, EveryVariantLintsRendersAndIsAcceptedByTheApiServer) {
  struct Variant {
    std::string sets;
    int replicas;
    std::vector<std::string> kinds;
    std::string watchedNamespace;  // "" = no --namespace: every namespace
  };
  const std::vector<Variant> variants = {
      {"",
       1,
       {"ClusterRole ", "ClusterRoleBinding ", "Deployment " + ns_, "Role " + ns_,
        "RoleBinding " + ns_, "ServiceAccount " + ns_},
       ""},
      {" --set replicaCount=2",
       2,
       {"ClusterRole ", "ClusterRoleBinding ", "Deployment " + ns_, "Role " + ns_,
        "RoleBinding " + ns_, "ServiceAccount " + ns_},
       ""},
      {" --set watchNamespace=" + apps_,
       1,
       {"Deployment " + ns_, "Role " + apps_, "Role " + ns_, "RoleBinding " + apps_,
        "RoleBinding " + ns_, "ServiceAccount " + ns_},
       apps_},
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE("values:" + (v.sets.empty() ? " (defaults)" : v.sets));
    const auto lint = helm("lint --strict " + shellQuote(kChart) + v.sets);
    EXPECT_EQ(lint.exitCode, 0) << lint.output;
    EXPECT_NE(lint.output.find("0 chart(s) failed"), std::string::npos) << lint.output;

    const SplitOutput rendered =
        helmSplit("template tenantshift " + shellQuote(kChart) + " -n " + ns_ + v.sets);
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    std::string warnings;
    const nlohmann::json objects = dryRun(rendered.out, warnings);
    EXPECT_EQ(warnings, "") << "the API server warned";
    std::vector<std::string> kinds = v.kinds;
    std::sort(kinds.begin(), kinds.end());
    EXPECT_EQ(kindsOf(objects), kinds);
    const nlohmann::json& deployment = deploymentOf(objects);
    EXPECT_EQ(deployment["spec"].value("replicas", -1), v.replicas);
    const auto args = deployment["spec"]["template"]["spec"]["containers"][0]["args"];
    EXPECT_NE(std::find(args.begin(), args.end(), "--leader-elect"), args.end()) << args.dump();
    // The flag and its value are separate arguments (tenantshift reads no --flag=value).
    const auto namespaceFlag = std::find(args.begin(), args.end(), "--namespace");
    EXPECT_EQ(namespaceFlag == args.end() || namespaceFlag + 1 == args.end()
                  ? ""
                  : (namespaceFlag + 1)->template get<std::string>(),
              v.watchedNamespace);
  }
}

// More than one replica needs leader election: without it every replica would reconcile every
// migration, so the chart refuses to render, saying which values to change.
TEST_F(Chart, TwoReplicasWithoutLeaderElectionAreRefused) {
  const SplitOutput rendered =
      helmSplit("template tenantshift " + shellQuote(kChart) +
                " --set replicaCount=2 --set leaderElection.enabled=false");
  EXPECT_NE(rendered.exitCode, 0);
  EXPECT_NE(rendered.err.find("leaderElection.enabled"), std::string::npos) << rendered.err;
  EXPECT_NE(rendered.err.find("replicaCount"), std::string::npos) << rendered.err;
}

// What `helm install` puts in the cluster as the CRD (crds/ of the chart) is the repository's
// crds/, to the byte.
TEST_F(Chart, TheChartsCrdIsTheRepositorysCrd) {
  const std::string repository =
      testing::readFile(kSource / "crds" / "tenantshift.dev_tenantmigrations.yaml");
  EXPECT_EQ(testing::readFile(fs::path(kChart) / "crds" / "tenantshift.dev_tenantmigrations.yaml"),
            repository);
  const SplitOutput shown = helmSplit("show crds " + shellQuote(kChart));
  ASSERT_EQ(shown.exitCode, 0) << shown.err;
  // helm prints each file of crds/ led by a document separator and followed by a newline.
  EXPECT_EQ(shown.out, "---\n" + repository + "\n");
}

// A migration no operator has written a status to yet (just applied, or no operator running) is
// InProgress for Flux and helm --wait and Progressing for Argo CD, never Current or Healthy: the
// CRD defaults status.observedGeneration to 0, below every generation.
TEST_F(Chart, AMigrationNoOperatorHasSeenIsInProgressNotCurrent) {
  applyCrd();
  kubectlOk("apply -n " + apps_ + " -f " +
            shellQuote((testing::exampleDir() / "migration.yaml").string()));
  const nlohmann::json unseen = kubectlJson("get tm alphapulse -n " + apps_);
  const Health flux = kstatus(unseen);
  EXPECT_EQ(flux.status, "InProgress") << flux.message;
  EXPECT_EQ(flux.message, "TenantMigration generation is 1, but latest observed generation is 0");
  const Health argoCd = argoCdHealth(unseen);
  EXPECT_EQ(argoCd.status, "Progressing") << argoCd.message;
  EXPECT_EQ(argoCd.message, "the operator has not observed generation 1 yet");
}

// The Argo CD health check goes into argocd-cm as charts/tenantshift/README.md says: a merge
// patch adds its one key to the ConfigMap an Argo CD installation made with `kubectl apply`,
// keeps the others, and an upgrade of Argo CD by `kubectl apply` of its manifest keeps the check.
TEST_F(Chart, TheArgoCdHealthCheckGoesIntoArgocdCmAsTheReadmeSays) {
  const std::string key = "resource.customizations.health.tenantshift.dev_TenantMigration";
  const std::string script = (fs::path(kChart) / "argocd-health.lua").string();
  scratch_.push_back(std::make_unique<testing::ScratchDir>());
  const fs::path argoCdInstall = testing::writeFile(
      scratch_.back()->path(), "argocd-cm.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: " + ns_ +
          "\ndata:\n  url: https://argocd.example\n");
  kubectlOk("apply -f " + shellQuote(argoCdInstall.string()));

  const std::string kubectlAdmin = "kubectl --kubeconfig " + shellQuote(kubeconfig());
  const testing::CommandResult added = testing::runCommand(
      kubectlAdmin + " create configmap argocd-cm --dry-run=client -o yaml --from-file=" + key +
      "=" + shellQuote(script) + " | " + kubectlAdmin + " patch configmap argocd-cm -n " + ns_ +
      " --type merge --patch-file /dev/stdin");
  ASSERT_EQ(added.exitCode, 0) << added.output;
  const auto data = [&] {
    return nlohmann::json::parse(kubectlOk("get configmap argocd-cm -o json -n " + ns_))["data"];
  };
  EXPECT_EQ(data().value(key, ""), testing::readFile(script));
  EXPECT_EQ(data().value("url", ""), "https://argocd.example");

  kubectlOk("apply -f " + shellQuote(argoCdInstall.string()));
  EXPECT_EQ(data().value(key, ""), testing::readFile(script)) << "an upgrade of Argo CD removed it";
}

// Installed for every namespace (a ClusterRole; no replica, so that no operator acts on other
// tests' migrations): the ServiceAccount can do what the operator needs in any namespace, and
// not one thing more.
TEST_F(Chart, ClusterWideRbacGrantsTheOperatorExactlyWhatItNeeds) {
  const std::string release = "tenantshift-" + std::to_string(getpid()) + "-all";
  ASSERT_NO_FATAL_FAILURE(install(release, " --set replicaCount=0"));
  const std::string user = serviceAccount(ns_, release);
  expectCan(user, operatorAccess(""), true);
  expectCan(user, operatorAccess(apps_), true);
  expectCan(user, deniedAccess(apps_), false);
  expectCan(user, leaseAccess(ns_), true);
  expectCan(user, deniedLeaseAccess(ns_, apps_), false);
  expectCan(user, clusterWideDenied(), false);
}

// Installed for one namespace with two replicas: the RBAC is a Role there and nothing
// elsewhere; the Deployment becomes available under the restricted Pod Security Standard; one
// replica leads; the operator, in-cluster as the chart's ServiceAccount, marks a migration whose
// Secret is missing Stalled (Flux: Failed, Argo CD: Degraded), and once the Secret is there
// converts it to Ready (Current, Healthy) with its Jobs admitted under the same standard, never
// refused by the API server.
TEST_F(Chart, InstalledForOneNamespaceTheOperatorRunsInClusterAndConvertsAMigration) {
  const std::string release = "tenantshift-" + std::to_string(getpid());
  ASSERT_NO_FATAL_FAILURE(install(
      release, std::string(kImageSets) + " --set replicaCount=2 --set watchNamespace=" + apps_));
  const std::string user = serviceAccount(ns_, release);
  expectCan(user, operatorAccess(apps_), true);
  expectCan(user, operatorAccess(ns_), false);
  expectCan(user, operatorAccess(""), false);
  expectCan(user, deniedAccess(apps_), false);
  expectCan(user, leaseAccess(ns_), true);
  expectCan(user, deniedLeaseAccess(ns_, apps_), false);
  expectCan(user, clusterWideDenied(), false);

  // The operator's Deployment is available, as kubectl and as Flux (kstatus) read it.
  const std::string deployment = "deployment/" + release;
  const auto available =
      kubectl("wait --for=condition=Available " + deployment + " -n " + ns_ + " --timeout=60s");
  ASSERT_EQ(available.exitCode, 0) << available.output;
  const Health deploymentHealth =
      kstatus(nlohmann::json::parse(kubectlOk("get " + deployment + " -o json -n " + ns_)));
  EXPECT_EQ(deploymentHealth.status, "Current") << deploymentHealth.message;
  EXPECT_EQ(deploymentHealth.message, "Deployment is available. Replicas: 2");

  const std::string pods =
      kubectlOk("get pods -n " + ns_ + " -l app.kubernetes.io/instance=" + release +
                " -o jsonpath={.items[*].metadata.name}");
  kubectlOk("wait --for=create lease/tenantshift-operator -n " + ns_ + " --timeout=60s");
  const std::string holder =
      kubectlOk("get lease tenantshift-operator -n " + ns_ + " -o jsonpath={.spec.holderIdentity}");
  EXPECT_NE(pods.find(holder.substr(0, holder.rfind('_'))), std::string::npos)
      << "the Lease's holder " << holder << " is none of the pods " << pods;

  const std::string url = testing::PostgresServer::shared().createDatabase("chart");
  testing::loadExample(url, "0.02");
  std::string manifest = testing::readFile(testing::exampleDir() / "migration.yaml");
  const std::string database = "  database:\n";
  manifest.insert(manifest.find(database) + database.size(),
                  "    urlSecretRef: {name: alphapulse-db, key: url}\n");
  scratch_.push_back(std::make_unique<testing::ScratchDir>());
  const fs::path file = testing::writeFile(scratch_.back()->path(), "tm.yaml", manifest);
  kubectlOk("apply -n " + apps_ + " -f " + shellQuote(file.string()));

  const std::string stalled = "{.status.conditions[?(@.type==\"Stalled\")].reason}=SecretNotFound";
  const auto seen =
      kubectl("wait -n " + apps_ + " tm/alphapulse --for=jsonpath=" + shellQuote(stalled) +
              " --timeout=120s");
  ASSERT_EQ(seen.exitCode, 0) << seen.output;
  const nlohmann::json stalledObject = kubectlJson("get tm alphapulse -n " + apps_);
  const Health failed = kstatus(stalledObject);
  EXPECT_EQ(failed.status, "Failed");
  EXPECT_NE(failed.message.find("alphapulse-db"), std::string::npos) << failed.message;
  const Health degraded = argoCdHealth(stalledObject);
  EXPECT_EQ(degraded.status, "Degraded");
  EXPECT_EQ(degraded.message, failed.message);

  kubectlOk("create secret generic alphapulse-db -n " + apps_ +
            " --from-literal=url=" + shellQuote(url));
  kubectlOk("label secret alphapulse-db -n " + apps_ + " tenantshift.dev/database=true");
  const auto ready =
      kubectl("wait -n " + apps_ + " --for=condition=Ready tm/alphapulse --timeout=300s");
  ASSERT_EQ(ready.exitCode, 0) << ready.output
                               << kubectl("get tm alphapulse -o yaml -n " + apps_).output;
  const nlohmann::json readyObject = kubectlJson("get tm alphapulse -n " + apps_);
  const Health current = kstatus(readyObject);
  EXPECT_EQ(current.status, "Current") << current.message;
  const Health healthy = argoCdHealth(readyObject);
  EXPECT_EQ(healthy.status, "Healthy") << healthy.message;
  const nlohmann::json jobs =
      nlohmann::json::parse(kubectlOk("get jobs -o json -n " + apps_))["items"];
  EXPECT_EQ(jobs.size(), 6U) << "one Job per phase";
  for (const auto& job : jobs) {
    EXPECT_EQ(job["status"].value("succeeded", 0), 1) << job["metadata"]["name"];
  }
  // Neither replica ever restarted (helm's --wait can pass while pods crash: a pod that was Ready
  // for a moment made the Deployment available).
  for (const auto& pod : nlohmann::json::parse(kubectlOk(
           "get pods -o json -n " + ns_ + " -l app.kubernetes.io/instance=" + release))["items"]) {
    EXPECT_EQ(pod["status"]["containerStatuses"][0].value("restartCount", -1), 0)
        << pod["metadata"]["name"];
  }
  // Nothing the operator asked for was refused.
  const std::string logs = kubectlOk(
      "logs -n " + ns_ + " -l app.kubernetes.io/instance=" + release + " --tail=-1 --prefix");
  EXPECT_EQ(logs.find("forbidden"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("Forbidden"), std::string::npos) << logs;
}

}  // namespace
}  // namespace tenantshift::e2e
