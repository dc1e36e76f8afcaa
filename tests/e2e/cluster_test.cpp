// e2e: the real Kubernetes API (kube-apiserver, etcd, controllers, scheduler) started by
// tests/e2e/cluster/up.sh, driven with kubectl. Every wait is bounded (`kubectl wait --timeout`)
// and nothing is timed; each test works in a namespace of its own.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Result {
  int exitCode = -1;
  std::string out;     // stdout
  std::string output;  // stdout, then stderr
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs a shell command and returns its exit code, its stdout, and stdout plus stderr.
Result sh(const std::string& command) {
  char errTemplate[] = "/tmp/tenantshift-e2e-stderr.XXXXXX";
  const int fd = mkstemp(errTemplate);
  if (fd < 0) {
    throw std::runtime_error("mkstemp failed");
  }
  close(fd);
  const std::string full = "( " + command + " ) 2>" + errTemplate;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(full.c_str(), "r"), pclose);
  if (!pipe) {
    throw std::runtime_error("cannot run: " + command);
  }
  Result result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = pclose(pipe.release());
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = result.out + readFile(errTemplate);
  fs::remove(errTemplate);
  return result;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

fs::path stateDir() {
  const char* dir = std::getenv("E2E_STATE_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error(
        "E2E_STATE_DIR is not set: run through ctest (tests/e2e) or source up.sh's env");
  }
  return dir;
}

// kubectl with the admin kubeconfig (KUBECONFIG from the environment).
Result kubectl(const std::string& args) {
  return sh("kubectl " + args);
}

// Like kubectl() but fails the test when kubectl does.
std::string kubectlOk(const std::string& args) {
  Result r = kubectl(args);
  EXPECT_EQ(r.exitCode, 0) << "kubectl " << args << "\n" << r.output;
  return r.out;
}

// Writes YAML to a file and returns `kubectl apply` on it.
Result apply(const std::string& yaml, const std::string& extraArgs = "") {
  const fs::path dir = stateDir() / "manifests";
  fs::create_directories(dir);
  static int counter = 0;
  const fs::path file = dir / ("m" + std::to_string(++counter) + ".yaml");
  std::ofstream(file) << yaml;
  return kubectl("apply " + extraArgs + " -f " + quote(file.string()));
}

void applyOk(const std::string& yaml) {
  const Result r = apply(yaml);
  ASSERT_EQ(r.exitCode, 0) << yaml << "\n" << r.output;
}

std::string currentTestNamespace() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::string ns = "e2e-";
  for (const char c : name) {
    if (std::isupper(static_cast<unsigned char>(c)) != 0 && ns.size() > 4) {
      ns += '-';
    }
    ns += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return ns.substr(0, 63);
}

const char* const kCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.tenantshift.dev
spec:
  group: e2e.tenantshift.dev
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [minReplicas, maxReplicas]
            x-kubernetes-validations:
            - rule: self.minReplicas <= self.maxReplicas
              message: minReplicas must not exceed maxReplicas
            properties:
              minReplicas: {type: integer, minimum: 0}
              maxReplicas: {type: integer, minimum: 0, maximum: 10}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
)";

std::string widget(const std::string& ns, const std::string& name, int minReplicas,
                   int maxReplicas) {
  return "apiVersion: e2e.tenantshift.dev/v1\nkind: Widget\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec: {minReplicas: " + std::to_string(minReplicas) +
         ", maxReplicas: " + std::to_string(maxReplicas) + "}\n";
}

// A Job of one container; `image` decides whether the podrunner runs it or pretends.
std::string job(const std::string& ns, const std::string& name, const std::string& image,
                const std::string& commandJson, int backoffLimit,
                const std::string& extraMeta = "") {
  return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\n" + extraMeta + "spec:\n  backoffLimit: " + std::to_string(backoffLimit) +
         "\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: "
         "main\n"
         "        image: " +
         image + "\n        command: " + commandJson +
         "\n        terminationMessagePolicy: FallbackToLogsOnError\n";
}

// s as a YAML single-quoted scalar.
std::string yamlQuote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

// A pod of one container of the project's image running `/bin/sh -c script`.
std::string shellPod(const std::string& ns, const std::string& name, const std::string& script,
                     const std::string& restartPolicy = "Never") {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  restartPolicy: " + restartPolicy +
         "\n  containers:\n  - name: main\n    image: tenantshift:e2e\n    command: [/bin/sh, "
         "-c, " +
         yamlQuote(script) + "]\n";
}

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = currentTestNamespace();
    kubectl("delete namespace " + ns_ + " --ignore-not-found --wait=true --timeout=120s");
    kubectlOk("create namespace " + ns_);
    // Pods need the namespace's default service account, which a controller creates.
    kubectlOk("wait --for=create serviceaccount/default -n " + ns_ + " --timeout=60s");
  }
  void TearDown() override {
    if (!HasFailure()) {
      kubectl("delete namespace " + ns_ + " --wait=false");
    }
  }
  // The name of the one pod of a Job.
  std::string jobPod(const std::string& jobName) const {
    return kubectlOk("get pods -n " + ns_ + " -l job-name=" + jobName +
                     " -o jsonpath='{.items[0].metadata.name}'");
  }
  static void ensureCrd() {
    applyOk(kCrd);
    kubectlOk("wait --for=condition=Established crd/widgets.e2e.tenantshift.dev --timeout=60s");
  }
  std::string ns_;
};

TEST_F(Cluster, CrdAppliedWithKubectlBecomesEstablished) {
  ensureCrd();
  EXPECT_EQ(kubectlOk("get crd widgets.e2e.tenantshift.dev -o "
                      "jsonpath='{.status.conditions[?(@.type==\"Established\")].status}'"),
            "True");
  applyOk(widget(ns_, "ok", 1, 3));
  EXPECT_EQ(kubectlOk("get widget ok -n " + ns_ + " -o jsonpath='{.spec.maxReplicas}'"), "3");
}

TEST_F(Cluster, InvalidObjectIsRejectedWithTheApiServersMessage) {
  ensureCrd();
  // OpenAPI schema: maximum.
  Result r = apply(widget(ns_, "too-many", 1, 42));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("The Widget \"too-many\" is invalid"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("spec.maxReplicas: Invalid value: 42"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("should be less than or equal to 10"), std::string::npos) << r.output;
  // CEL x-kubernetes-validations rule.
  r = apply(widget(ns_, "inverted", 5, 2));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("The Widget \"inverted\" is invalid"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("minReplicas must not exceed maxReplicas"), std::string::npos)
      << r.output;
  // Neither was stored.
  EXPECT_EQ(kubectlOk("get widgets -n " + ns_ + " -o name"), "");
}

TEST_F(Cluster, JobRunningTenantshiftVersionCompletes) {
  applyOk(
      job(ns_, "version", "ghcr.io/example/tenantshift:e2e", R"(["tenantshift", "--version"])", 0));
  kubectlOk("wait --for=condition=Complete job/version -n " + ns_ + " --timeout=120s");
  EXPECT_EQ(
      kubectlOk("get pods -n " + ns_ +
                " -l job-name=version -o "
                "jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}'"),
      "0");
  // The pod really ran the binary: its output is the binary's own.
  const std::string uid = kubectlOk("get pods -n " + ns_ +
                                    " -l job-name=version -o jsonpath='{.items[0].metadata.uid}'");
  const Result direct = sh(quote(TENANTSHIFT_BINARY) + " --version");
  ASSERT_EQ(direct.exitCode, 0) << direct.output;
  EXPECT_EQ(readFile(stateDir() / "podrunner" / "pods" / uid / "c" / "main-main-0.log"),
            direct.output);
  // ... and that is what an on-call engineer reads with kubectl.
  EXPECT_EQ(kubectlOk("logs job/version -n " + ns_), direct.output);
}

// `kubectl logs` goes through the API server to the node's kubelet API (virtual-kubelet's, served
// by the podrunner) and shows the container's output, stdout and stderr as written.
TEST_F(Cluster, KubectlLogsShowsTheOutputOfACompletedJob) {
  applyOk(job(
      ns_, "phase", "tenantshift",
      R"(["/bin/sh", "-c", "echo backfill started; echo 'batch 1 of 2' >&2; echo backfill done"])",
      0));
  kubectlOk("wait --for=condition=Complete job/phase -n " + ns_ + " --timeout=120s");
  const std::string output = "backfill started\nbatch 1 of 2\nbackfill done\n";
  EXPECT_EQ(kubectlOk("logs " + jobPod("phase") + " -n " + ns_), output);
  EXPECT_EQ(kubectlOk("logs job/phase -n " + ns_), output);
  EXPECT_EQ(kubectlOk("logs job/phase -n " + ns_ + " --tail=1"), "backfill done\n");
  EXPECT_EQ(kubectlOk("logs job/phase -n " + ns_ + " --limit-bytes=8"), "backfill");
  // What the podrunner cannot do, it says.
  const Result stamped = kubectl("logs job/phase -n " + ns_ + " --timestamps");
  EXPECT_NE(stamped.exitCode, 0);
  EXPECT_NE(stamped.output.find("without a time per line"), std::string::npos) << stamped.output;
}

TEST_F(Cluster, KubectlLogsOfAFailedPodShowWhyItFailed) {
  applyOk(shellPod(ns_, "broken", "echo connecting; echo 'error: connection refused' >&2; exit 3"));
  kubectlOk("wait --for=jsonpath='{.status.phase}'=Failed pod/broken -n " + ns_ +
            " --timeout=120s");
  EXPECT_EQ(kubectlOk("logs broken -n " + ns_), "connecting\nerror: connection refused\n");
  // It ran once: there is no previous attempt.
  const Result previous = kubectl("logs broken -n " + ns_ + " --previous");
  EXPECT_NE(previous.exitCode, 0);
  EXPECT_NE(
      previous.output.find("previous terminated container \"main\" in pod \"broken\" not found"),
      std::string::npos)
      << previous.output;
}

// --previous shows the attempt before a restart (restartPolicy OnFailure; the emptyDir outlives
// the first attempt).
TEST_F(Cluster, KubectlLogsPreviousShowsTheFailedAttemptBeforeTheRestart) {
  applyOk("apiVersion: v1\nkind: Pod\nmetadata: {name: retried, namespace: " + ns_ +
          "}\nspec:\n  restartPolicy: OnFailure\n  volumes:\n  - {name: scratch, emptyDir: {}}\n"
          "  containers:\n  - name: main\n    image: tenantshift:e2e\n"
          "    command: [/bin/sh, -c, 'if [ -e /run/tenantshift-e2e/scratch/tried ]; then echo "
          "attempt two; else touch /run/tenantshift-e2e/scratch/tried; echo attempt one; exit 1; "
          "fi']\n"
          "    volumeMounts:\n    - {name: scratch, mountPath: /run/tenantshift-e2e/scratch}\n");
  kubectlOk("wait --for=jsonpath='{.status.phase}'=Succeeded pod/retried -n " + ns_ +
            " --timeout=120s");
  EXPECT_EQ(kubectlOk("get pod retried -n " + ns_ +
                      " -o jsonpath='{.status.containerStatuses[0].restartCount}'"),
            "1");
  EXPECT_EQ(kubectlOk("logs retried -n " + ns_), "attempt two\n");
  EXPECT_EQ(kubectlOk("logs retried -n " + ns_ + " --previous"), "attempt one\n");
}

// Deleting a running pod sends its processes SIGTERM: the container ends the way it chooses, its
// exit code is recorded, and the pod leaves the API once it stopped.
TEST_F(Cluster, DeletingARunningPodStopsItWithSigterm) {
  applyOk(shellPod(ns_, "graceful",
                   "trap 'echo got TERM; exit 0' TERM; echo up; while :; do sleep 0.2; done"));
  kubectlOk("wait --for=condition=Ready pod/graceful -n " + ns_ + " --timeout=120s");
  const std::string uid =
      kubectlOk("get pod graceful -n " + ns_ + " -o jsonpath='{.metadata.uid}'");
  kubectlOk("delete pod graceful -n " + ns_ + " --wait=true --timeout=60s");
  const fs::path records = stateDir() / "podrunner" / "pods" / uid / "c";
  EXPECT_NE(readFile(records / "main-main-0.log").find("got TERM\n"), std::string::npos)
      << readFile(records / "main-main-0.log");
  EXPECT_EQ(readFile(records / "main-main-0.exit"), "0\n");
}

// `kubectl logs -f` streams what a running container writes and ends when the container does.
TEST_F(Cluster, KubectlLogsFollowsARunningPodUntilItEnds) {
  applyOk(shellPod(ns_, "talker", "echo first; sleep 3; echo second"));
  kubectlOk("wait --for=condition=Ready pod/talker -n " + ns_ + " --timeout=120s");
  const Result followed = sh("timeout 60 kubectl logs -f talker -n " + ns_);
  EXPECT_EQ(followed.exitCode, 0) << followed.output;
  EXPECT_EQ(followed.out, "first\nsecond\n");
}

// The kubelet API is served over TLS with a certificate of the cluster's CA for the node's address,
// and lets through only who the API server authorizes on nodes/proxy: the API server's own client
// certificate, not a component without that right, nor anyone without a certificate.
TEST_F(Cluster, KubeletApiServesOnlyClientsTheApiServerAuthorizes) {
  applyOk(shellPod(ns_, "quiet", "echo hello"));
  kubectlOk("wait --for=jsonpath='{.status.phase}'=Succeeded pod/quiet -n " + ns_ +
            " --timeout=120s");
  const std::string port =
      kubectlOk("get node e2e-node -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}'");
  ASSERT_FALSE(port.empty());
  const fs::path pki = stateDir() / "pki";
  const std::string curl = "curl -sS --cacert " + quote((pki / "ca.crt").string()) +
                           " -w ' %{http_code}' https://127.0.0.1:" + port + "/containerLogs/" +
                           ns_ + "/quiet/main";
  const auto as = [&](const std::string& cert) {
    return " --cert " + quote((pki / (cert + ".crt")).string()) + " --key " +
           quote((pki / (cert + ".key")).string());
  };
  EXPECT_EQ(sh(curl + as("apiserver-kubelet-client")).out, "hello\n 200");
  EXPECT_EQ(sh(curl).out, "Unauthorized\n 401");
  const Result scheduler = sh(curl + as("scheduler"));
  EXPECT_NE(scheduler.out.find("Forbidden (user=system:kube-scheduler, verb=get, resource=nodes, "
                               "subresource=proxy)"),
            std::string::npos)
      << scheduler.output;
  EXPECT_NE(scheduler.out.find(" 403"), std::string::npos) << scheduler.output;
}

// virtual-kubelet's node controller keeps the node's Lease (kube-node-lease) and renews it.
TEST_F(Cluster, NodeHoldsALeaseThatIsRenewed) {
  const std::string lease = "get lease e2e-node -n kube-node-lease -o jsonpath=";
  EXPECT_EQ(kubectlOk(lease + "'{.spec.holderIdentity}'"), "e2e-node");
  EXPECT_EQ(kubectlOk(lease +
                      "'{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}'"),
            "Node/e2e-node");
  const std::string renewed = kubectlOk(lease + "'{.spec.renewTime}'");
  ASSERT_FALSE(renewed.empty());
  // It is renewed every 10 s (a quarter of its 40 s duration); wait up to a minute for the next.
  const Result next = sh("for i in $(seq 120); do t=$(kubectl " + lease +
                         "'{.spec.renewTime}'); [ \"$t\" != " + quote(renewed) +
                         " ] && exit 0; sleep 0.5; done; exit 1");
  EXPECT_EQ(next.exitCode, 0) << "lease still renewed at " << renewed << "\n" << next.output;
  EXPECT_EQ(kubectlOk("get node e2e-node -o "
                      "jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'"),
            "True");
}

TEST_F(Cluster, FailingJobIsRetriedUpToBackoffLimitThenFails) {
  applyOk(
      job(ns_, "fails", "tenantshift", R"(["/bin/sh", "-c", "echo giving up >&2; exit 3"])", 2));
  kubectlOk("wait --for=condition=Failed job/fails -n " + ns_ + " --timeout=180s");
  EXPECT_EQ(kubectlOk("get job fails -n " + ns_ + " -o jsonpath='{.status.failed}'"), "3");
  EXPECT_EQ(kubectlOk("get job fails -n " + ns_ +
                      " -o jsonpath='{.status.conditions[?(@.type==\"Failed\")].reason}'"),
            "BackoffLimitExceeded");
  const std::string pods =
      kubectlOk("get pods -n " + ns_ +
                " -l job-name=fails -o jsonpath='{range .items[*]}{.status.phase} "
                "{.status.containerStatuses[0].state.terminated.exitCode} "
                "{.status.containerStatuses[0].state.terminated.message}{\"\\n\"}{end}'");
  EXPECT_EQ(pods, "Failed 3 giving up\nFailed 3 giving up\nFailed 3 giving up\n");
}

TEST_F(Cluster, DeletingTheOwnerGarbageCollectsItsJobs) {
  ensureCrd();
  applyOk(widget(ns_, "owner", 0, 1));
  const std::string uid =
      kubectlOk("get widget owner -n " + ns_ + " -o jsonpath='{.metadata.uid}'");
  const std::string owned =
      "  ownerReferences:\n  - {apiVersion: e2e.tenantshift.dev/v1, kind: Widget, "
      "name: owner, uid: " +
      uid + ", controller: true, blockOwnerDeletion: true}\n";
  for (const std::string name : {"owned-a", "owned-b"}) {
    applyOk(job(ns_, name, "registry.example/app:1", R"(["sleep", "infinity"])", 0, owned));
  }
  kubectlOk("wait --for=jsonpath='{.status.active}'=1 job/owned-a job/owned-b -n " + ns_ +
            " --timeout=120s");
  kubectlOk("delete widget owner -n " + ns_ + " --wait=true --timeout=60s");
  kubectlOk("wait --for=delete job/owned-a job/owned-b -n " + ns_ + " --timeout=120s");
  // Their pods go too, deleted gracefully and removed by the podrunner like a kubelet would.
  kubectlOk("wait --for=delete pods -l batch.kubernetes.io/job-name -n " + ns_ + " --timeout=120s");
  EXPECT_EQ(kubectlOk("get jobs,pods -n " + ns_ + " -o name"), "");
}

TEST_F(Cluster, DeploymentOfAnotherImageBecomesAvailable) {
  applyOk("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: " + ns_ +
          "}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: app}}\n  template:\n"
          "    metadata: {labels: {app: app}}\n    spec:\n      containers:\n"
          "      - {name: app, image: 'registry.example/app:1.0'}\n");
  kubectlOk("wait --for=condition=Available deployment/app -n " + ns_ + " --timeout=120s");
  kubectlOk("rollout status deployment/app -n " + ns_ + " --timeout=120s");
  EXPECT_EQ(kubectlOk("get deployment app -n " + ns_ + " -o jsonpath='{.status.readyReplicas}'"),
            "2");
}

TEST_F(Cluster, ServiceAccountTokenIsRefusedWhatItsRoleDoesNotGrant) {
  applyOk(
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: reader, namespace: " + ns_ +
      "}\n"
      "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: "
      "read-configmaps, "
      "namespace: " +
      ns_ +
      "}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [get, list]}\n"
      "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: reader, "
      "namespace: " +
      ns_ +
      "}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, "
      "name: read-configmaps}\nsubjects:\n- {kind: ServiceAccount, name: reader, namespace: " +
      ns_ + "}\n");
  // `kubectl create token` goes through the TokenRequest API.
  const Result token = kubectl("create token reader -n " + ns_ + " --duration=10m");
  ASSERT_EQ(token.exitCode, 0) << token.output;
  const std::string server =
      kubectlOk("config view --minify -o jsonpath='{.clusters[0].cluster.server}'");
  // Only the token: a kubeconfig of its own, without the admin's client certificate.
  const std::string asReader =
      "kubectl --kubeconfig=/dev/null --server=" + quote(server) +
      " --certificate-authority=" + quote((stateDir() / "pki" / "ca.crt").string()) +
      " --token=" + quote(token.out.substr(0, token.out.find('\n'))) + " -n " + ns_ + " ";
  const std::string user = "system:serviceaccount:" + ns_ + ":reader";

  Result r = sh(asReader + "get configmaps -o name");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("configmap/kube-root-ca.crt"), std::string::npos) << r.output;

  r = sh(asReader + "get secrets");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(
      r.output.find("secrets is forbidden: User \"" + user +
                    "\" cannot list resource \"secrets\" in API group \"\" in the namespace \"" +
                    ns_ + "\""),
      std::string::npos)
      << r.output;

  r = sh(asReader + "create configmap written --from-literal=a=b");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("configmaps is forbidden: User \"" + user + "\" cannot create resource"),
            std::string::npos)
      << r.output;
}

// The podrunner gives a pod of the project's image its environment (literal, secretKeyRef,
// configMapKeyRef, fieldRef), its ConfigMap and Secret volumes at their mount paths, and the
// service account volume (a token from the TokenRequest API) the API server's admission added.
TEST_F(Cluster, PodOfTheProjectsImageGetsItsEnvironmentAndVolumes) {
  kubectlOk("create configmap settings -n " + ns_ +
            " --from-literal=mode=fast --from-literal=file.txt=from-configmap");
  kubectlOk("create secret generic creds -n " + ns_ + " --from-literal=password=s3cret");
  applyOk(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: env-and-volumes, namespace: " + ns_ +
      "}\n"
      "spec:\n  restartPolicy: Never\n  volumes:\n"
      "  - {name: cfg, configMap: {name: settings}}\n  - {name: sec, secret: {secretName: creds}}\n"
      "  containers:\n  - name: main\n    image: ghcr.io/example/tenantshift:e2e\n"
      "    command: [/bin/sh, -c]\n"
      "    args: ['printf \"%s|%s|%s|%s|%s|%s|%s|%s|%s\" \"$LITERAL\" \"$MODE\" \"$PASSWORD\" "
      "\"$POD\" \"$NS\" "
      "\"$(cat /run/tenantshift-e2e/cfg/file.txt)\" \"$(cat "
      "/run/tenantshift-e2e/secret/password)\" "
      "\"$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)\" "
      "\"$(test -s /var/run/secrets/kubernetes.io/serviceaccount/token && echo token)\" "
      ">/dev/termination-log']\n"
      "    env:\n    - {name: LITERAL, value: plain}\n"
      "    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}\n"
      "    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}\n"
      "    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
      "    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}\n"
      "    volumeMounts:\n    - {name: cfg, mountPath: /run/tenantshift-e2e/cfg}\n    - {name: "
      "sec, mountPath: /run/tenantshift-e2e/secret}\n");
  kubectlOk("wait --for=jsonpath='{.status.phase}'=Succeeded pod/env-and-volumes -n " + ns_ +
            " --timeout=120s");
  EXPECT_EQ(
      kubectlOk("get pod env-and-volumes -n " + ns_ +
                " -o jsonpath='{.status.containerStatuses[0].state.terminated.message}'"),
      "plain|fast|s3cret|env-and-volumes|" + ns_ + "|from-configmap|s3cret|" + ns_ + "|token");
}

// A restarted podrunner adopts the pod process still running and reports its end; the pod is never
// started a second time.
TEST_F(Cluster, RestartedPodrunnerAdoptsRunningPodAndNeverRunsItTwice) {
  applyOk(shellPod(ns_, "finished", "echo finished before the restart"));
  kubectlOk("wait --for=jsonpath='{.status.phase}'=Succeeded pod/finished -n " + ns_ +
            " --timeout=120s");
  applyOk("apiVersion: v1\nkind: Pod\nmetadata: {name: survivor, namespace: " + ns_ +
          "}\n"
          "spec:\n  restartPolicy: Never\n  containers:\n  - name: main\n"
          "    image: tenantshift:e2e\n    command: [/bin/sh, -c, 'echo started; sleep 5; echo "
          "done']\n");
  kubectlOk("wait --for=condition=Ready pod/survivor -n " + ns_ + " --timeout=120s");
  const Result restart =
      sh(quote(E2E_CLUSTER_DIR "/restart-podrunner.sh") + " " + quote(stateDir().string()));
  ASSERT_EQ(restart.exitCode, 0) << restart.output;
  kubectlOk("wait --for=jsonpath='{.status.phase}'=Succeeded pod/survivor -n " + ns_ +
            " --timeout=120s");
  const std::string uid =
      kubectlOk("get pod survivor -n " + ns_ + " -o jsonpath='{.metadata.uid}'");
  const fs::path records = stateDir() / "podrunner" / "pods" / uid / "c";
  EXPECT_EQ(readFile(records / "main-main-0.log"), "started\ndone\n");
  EXPECT_FALSE(fs::exists(records / "main-main-1.started"));
  EXPECT_EQ(kubectlOk("get pod survivor -n " + ns_ +
                      " -o jsonpath='{.status.containerStatuses[0].state.terminated.reason}'"),
            "Completed");
  // The restarted podrunner serves the logs of the pod it adopted and of one that ended before.
  EXPECT_EQ(kubectlOk("logs survivor -n " + ns_), "started\ndone\n");
  EXPECT_EQ(kubectlOk("logs finished -n " + ns_), "finished before the restart\n");
}

}  // namespace

// The project's own CRD: the manifest the CLI runs is accepted as a Kubernetes object, and the
// API server rejects what the CLI would reject, with its own messages.
class TenantMigrationCrd : public Cluster {
 protected:
  static void ensureTenantMigrationCrd() {
    kubectlOk("apply -f " + quote(std::string(TENANTSHIFT_SOURCE_DIR) +
                                  "/crds/tenantshift.dev_tenantmigrations.yaml"));
    kubectlOk(
        "wait --for=condition=Established crd/tenantmigrations.tenantshift.dev --timeout=60s");
  }
};

TEST_F(TenantMigrationCrd, ExampleMigrationIsAcceptedAndReadable) {
  ensureTenantMigrationCrd();
  kubectlOk("apply -n " + ns_ + " -f " +
            quote(std::string(TENANTSHIFT_SOURCE_DIR) + "/examples/alphapulse/migration.yaml"));
  EXPECT_EQ(kubectlOk("get tm alphapulse -n " + ns_ + " -o jsonpath='{.spec.database.appRole}'"),
            "alphapulse_app");
  EXPECT_EQ(kubectlOk("get tenantmigration alphapulse -n " + ns_ +
                      " -o jsonpath='{.spec.tables[?(@.name==\"trades\")].from.parent}'"),
            "trading_accounts");
}

TEST_F(TenantMigrationCrd, InvalidMigrationIsRejectedWithTheApiServersMessage) {
  ensureTenantMigrationCrd();
  const Result r = apply(
      "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\n"
      "metadata: {name: bad, namespace: " +
      ns_ +
      "}\n"
      "spec:\n  database: {appRole: app}\n"
      "  tenant: {idType: uuid, default: {id: '42'}}\n"
      "  tables:\n  - name: t\n    from: {parent: u, via: x, column: c}\n");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("give exactly one source"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tenant.default.id must be a uuid"), std::string::npos) << r.output;
  // The unquoted YAML 1.1 keys on/off become true/false: strict decoding refuses them.
  const Result flag = apply(
      "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\n"
      "metadata: {name: flag, namespace: " +
      ns_ +
      "}\n"
      "spec:\n  database: {appRole: app}\n"
      "  featureFlag: {sql: {on: x, off: y}}\n");
  EXPECT_NE(flag.exitCode, 0);
  EXPECT_NE(flag.output.find("unknown field \"spec.featureFlag.sql.true\""), std::string::npos)
      << flag.output;
}
