// e2e: `tenantshift operator` on the real control plane (tests/e2e/cluster) converting the
// AlphaPulse example in a real PostgreSQL started by the harness. The operator's phase Jobs run
// the real binary (the pod runner runs it for images named tenantshift). Its health is checked as
// Flux (kstatus) and Argo CD (with the chart's health check) read it. Every wait is bounded
// (`kubectl wait --timeout`, or a bounded poll of the database where nothing can be awaited) and
// nothing is timed; each test works in a namespace of its own, on databases of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "e2e/support/gitops_health.h"
#include "e2e/support/plane_commands.h"
#include "support/example_database.h"
#include "support/pgbench.h"
#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/scratch_files.h"
#include "support/tenantshift_process.h"

namespace tenantshift::e2e {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::PostgresServer;
using testing::queryColumn;
using testing::queryInt;
using testing::queryValue;
using testing::shellQuote;

// The password in the URLs the Secrets hold (the harness' server trusts every local connection,
// so it is never checked): it must appear in no object, status, Event or log.
constexpr const char* kPassword = "e2e-s3cret-pw";
constexpr const char* kImage = "registry.example/tenantshift:e2e";
// Scale 0.02 of the example: 40 users, 80 accounts, 4,800 orders, 800 positions.
constexpr const char* kScale = "0.02";
const std::vector<std::string> kAppRanges = {"nusers=40", "naccounts=80", "norders=4800",
                                             "npositions=800"};

std::string replaceOnce(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) {
    throw std::runtime_error("the manifest has no \"" + from + "\"");
  }
  return text.replace(at, from.size(), to);
}

// How a test wants the example's migration.yaml for the operator.
struct Migration {
  std::string name;
  std::string secret;  // "<name>-db"
  // A slow backfill (small batches, a pause between them) for a test that acts during it.
  bool slowBackfill = false;
  std::string extraSpec;  // lines appended under spec:
};

Migration migration(const std::string& name = "alphapulse", bool slowBackfill = false,
                    const std::string& extraSpec = "") {
  return Migration{name, name + "-db", slowBackfill, extraSpec};
}

std::string manifest(const Migration& m) {
  std::string text = testing::readFile(testing::exampleDir() / "migration.yaml");
  text = replaceOnce(text, "  name: alphapulse\n", "  name: " + m.name + "\n");
  text = replaceOnce(text, "  database:\n",
                     "  database:\n    urlSecretRef: {name: " + m.secret + ", key: url}\n");
  if (m.slowBackfill) {
    text = replaceOnce(text, "    batchSize: 5000\n    pause: 20ms\n",
                       "    batchSize: 100\n    pause: 100ms\n");
  }
  return text + m.extraSpec;
}

// The backfill's cursor of the table being filled now has moved past its first batch.
bool backfillUnderWay(const std::string& url) {
  return queryInt(url,
                  "SELECT count(*) FROM pg_class WHERE oid = "
                  "to_regclass('tenantshift.backfill_cursor')") > 0 &&
         queryInt(url,
                  "SELECT count(*) FROM tenantshift.backfill_cursor WHERE rows_scanned > 0 AND "
                  "NOT finished") > 0;
}

// No live session holds the ledger's runner lock.
bool runnerLockFree(const std::string& url) {
  return queryInt(url,
                  "SELECT count(*) FROM tenantshift.runner_lock l JOIN pg_stat_activity a ON "
                  "a.pid = l.holder_pid AND a.backend_start = l.holder_backend_start "
                  "WHERE l.runner_id IS NOT NULL") == 0;
}

class Operator : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = testNamespace("op");
    applyCrd();
    kubectlOk("create namespace " + ns_);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (std::size_t i = 0; i < operators_.size(); ++i) {
        std::cerr << "operator " << i << " log:\n" << operators_[i]->output() << "\n";
      }
      std::cerr << kubectl("get tm,jobs,pods,events,leases -n " + ns_ + " -o wide").output;
    }
    // Deleted while an operator runs, so that the finalizers go; then the namespace.
    if (!operators_.empty() && operators_.back()->poll() == std::nullopt) {
      kubectl("delete tm --all -n " + ns_ + " --timeout=120s");
    }
    operators_.clear();
    kubectl("delete namespace " + ns_ + " --wait=false");
  }

  // A database of its own for migration `name`, loaded with the example.
  const std::string& database(const std::string& name) {
    auto& url = databases_[name];
    if (url.empty()) {
      url = PostgresServer::shared().createDatabase("operator");
      testing::loadExample(url, kScale);
    }
    return url;
  }
  // `url` with the password the Secrets carry.
  static std::string secretUrl(const std::string& url) {
    const auto& server = PostgresServer::shared();
    return "postgresql://postgres:" + std::string(kPassword) +
           "@127.0.0.1:" + std::to_string(server.port()) + "/" + testing::databaseName(url);
  }

  testing::TenantshiftProcess& startOperator(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"operator", "--kubeconfig", kubeconfig(), "--namespace",
                                     ns_,        "--image",      kImage};
    args.insert(args.end(), extra.begin(), extra.end());
    operators_.push_back(std::make_unique<testing::TenantshiftProcess>("", args));
    return *operators_.back();
  }

  void apply(const std::string& yaml) {
    scratch_.push_back(std::make_unique<testing::ScratchDir>());
    const fs::path file = testing::writeFile(scratch_.back()->path(), "tm.yaml", yaml);
    kubectlOk("apply -n " + ns_ + " -f " + shellQuote(file.string()));
  }
  // The manifest as a file, for the CLI (`tenantshift verify -f`).
  fs::path manifestFile(const Migration& m) {
    scratch_.push_back(std::make_unique<testing::ScratchDir>());
    return testing::writeFile(scratch_.back()->path(), m.name + ".yaml", manifest(m));
  }

  void createSecret(const std::string& name, const std::string& url, bool optedIn) {
    kubectlOk("create secret generic " + name + " -n " + ns_ +
              " --from-literal=url=" + shellQuote(url));
    if (optedIn) {
      kubectlOk("label secret " + name + " -n " + ns_ + " tenantshift.dev/database=true");
    }
  }

  // Waits for a jsonpath of tm/NAME to have `value`.
  void waitFor(const std::string& tm, const std::string& jsonpath, const std::string& value,
               int seconds = 120) {
    const CommandResult result = kubectl("wait -n " + ns_ + " tm/" + tm + " --for=jsonpath=" +
                                         shellQuote("{" + jsonpath + "}=" + value) +
                                         " --timeout=" + std::to_string(seconds) + "s");
    ASSERT_EQ(result.exitCode, 0) << tm << " " << jsonpath << " never became " << value << ":\n"
                                  << result.output << "\nstatus: " << status(tm).dump(2);
  }
  // kubectl wait --for=condition=Ready: what a pipeline runs.
  void waitReady(const std::string& tm, int seconds = 300) {
    const CommandResult result = kubectl("wait -n " + ns_ + " --for=condition=Ready tm/" + tm +
                                         " --timeout=" + std::to_string(seconds) + "s");
    ASSERT_EQ(result.exitCode, 0) << tm << " never became Ready:\n"
                                  << result.output << "\nstatus: " << status(tm).dump(2);
  }
  void waitStalled(const std::string& tm, const std::string& reason) {
    waitFor(tm, ".status.conditions[?(@.type==\"Stalled\")].reason", reason);
    EXPECT_EQ(condition(tm, "Stalled"), "True") << status(tm).dump(2);
    expectHealth(tm, "Stalled", "Failed", "Degraded");
  }

  // While `tm`'s condition `type` is True, Flux reads its health as `flux` (kstatus) and Argo CD
  // as `argoCd` (charts/tenantshift/argocd-health.lua), both with that condition's message
  // (Ready's is kstatus' own); all three read from one object.
  void expectHealth(const std::string& tm, const std::string& type, const std::string& flux,
                    const std::string& argoCd) {
    const nlohmann::json object =
        nlohmann::json::parse(kubectlOk("get tm " + tm + " -n " + ns_ + " -o json"));
    std::string message;
    for (const auto& c : object["status"].value("conditions", nlohmann::json::array())) {
      if (c.value("type", "") == type) {
        ASSERT_EQ(c.value("status", ""), "True") << tm << " " << object["status"].dump(2);
        message = c.value("message", "");
      }
    }
    const Health fluxReads = kstatus(object);
    EXPECT_EQ(fluxReads.status, flux) << tm << " " << type << ": " << fluxReads.message;
    EXPECT_EQ(fluxReads.message, type == "Ready" ? "Resource is Ready" : message) << tm;
    const Health argoCdReads = argoCdHealth(object);
    EXPECT_EQ(argoCdReads.status, argoCd) << tm << " " << type << ": " << argoCdReads.message;
    EXPECT_EQ(argoCdReads.message, message) << tm;
  }

  nlohmann::json status(const std::string& tm) {
    const CommandResult result = kubectl("get tm " + tm + " -n " + ns_ + " -o json");
    if (result.exitCode != 0) {
      return nullptr;
    }
    return nlohmann::json::parse(result.output).value("status", nlohmann::json::object());
  }

  std::string condition(const std::string& tm, const std::string& type,
                        const char* field = "status") {
    const nlohmann::json s = status(tm);
    for (const auto& c : s.value("conditions", nlohmann::json::array())) {
      if (c.value("type", "") == type) {
        return c.value(field, "");
      }
    }
    return "";
  }

  nlohmann::json jobs(const std::string& selector = "") {
    return nlohmann::json::parse(kubectlOk("get jobs -n " + ns_ + " -o json" +
                                           (selector.empty() ? "" : " -l " + selector)))["items"];
  }
  nlohmann::json pods(const std::string& selector) {
    return nlohmann::json::parse(
        kubectlOk("get pods -n " + ns_ + " -o json -l " + selector))["items"];
  }
  std::string events() { return kubectlOk("get events -n " + ns_ + " -o json"); }

  // Every phase condition True, Ready, nothing stalled, every step done; one Job per phase,
  // each succeeded once and never failed; the database verified by the CLI.
  void expectConverted(const std::string& tm, const Migration& m) {
    const nlohmann::json done = status(tm);
    EXPECT_EQ(done.value("phase", ""), "Ready") << done.dump(2);
    EXPECT_EQ(done.value("stepsDone", -1), done.value("stepsTotal", -2));
    EXPECT_GT(done.value("stepsTotal", 0), 10);
    for (const char* type : {"Ready", "SchemaApplied", "Backfilled", "ConstraintsApplied",
                             "RLSEnabled", "IsolationVerified", "FlagFlipped", "Enforced"}) {
      EXPECT_EQ(condition(tm, type), "True") << tm << " " << type;
    }
    EXPECT_EQ(condition(tm, "Stalled"), "False");
    EXPECT_EQ(condition(tm, "Reconciling"), "False");
    expectHealth(tm, "Ready", "Current", "Healthy");
    const nlohmann::json phaseJobs = jobs("tenantshift.dev/migration=" + tm);
    EXPECT_EQ(phaseJobs.size(), 6U) << "one Job per phase";
    for (const auto& job : phaseJobs) {
      EXPECT_EQ(job["status"].value("succeeded", 0), 1) << job["metadata"]["name"];
    }
    const auto verify =
        testing::runTenantshift(database(tm), {"verify", "-f", manifestFile(m).string()});
    EXPECT_EQ(verify.exitCode, 0) << verify.output;
  }

  // One operator, the migration's opted-in Secret, the migration applied; returns once its
  // backfill is under way.
  void startAndWaitForTheBackfill(const Migration& m) {
    const std::string& url = database(m.name);
    createSecret(m.secret, secretUrl(url), true);
    startOperator();
    apply(manifest(m));
    waitFor(m.name, ".status.phase", "Backfill");
    ASSERT_TRUE(pollUntil([&] { return backfillUnderWay(url); }, std::chrono::seconds(60)));
    expectHealth(m.name, "Reconciling", "InProgress", "Progressing");
  }

  bool ledgerExists(const std::string& url) {
    return queryValue(url, "SELECT to_regnamespace('tenantshift') IS NOT NULL") == "t";
  }

  std::string ns_;
  std::map<std::string, std::string> databases_;
  std::vector<std::unique_ptr<testing::TenantshiftProcess>> operators_;
  std::vector<std::unique_ptr<testing::ScratchDir>> scratch_;
};

// The application while the operator converts its database: today's app.sql, made flag-aware as
// the AlphaPulse application is: each transaction first takes its tables' locks (so that
// enforcement cannot come between what it read of the flag and what it does), reads the feature
// flag, and once the flag is on sets its tenant. It runs in chunks on a thread of its own until
// stopped; `kubectl get tm` is read between chunks.
class Application {
 public:
  Application(const std::string& url, const std::string& ns, const std::string& tm)
      : url_(testing::urlAs(url, "alphapulse_app", "")), ns_(ns), tm_(tm) {
    std::string script = testing::readFile(testing::exampleDir() / "workload" / "app.sql");
    script =
        replaceOnce(script, "BEGIN;\n",
                    "BEGIN;\n"
                    "LOCK TABLE users, trading_accounts, positions, orders, trades, audit_logs "
                    "IN ACCESS SHARE MODE;\n"
                    "SELECT enabled::int AS flag FROM feature_flags WHERE name = 'rls' \\gset\n"
                    "\\if :flag\n"
                    "SELECT set_config('app.current_tenant_id', :tenant, true);\n"
                    "\\endif\n");
    script_ = testing::writeFile(dir_.path(), "flag_aware_app.sql", script);
    thread_ = std::thread([this] { run(); });
  }
  ~Application() { stop(); }
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // After stop: every chunk's pgbench output that was not clean, and how many ran.
  const std::vector<std::string>& failures() const { return failures_; }
  int chunks() const { return chunks_; }
  const std::vector<std::string>& table() const { return table_; }

 private:
  void run() {
    std::vector<std::string> variables = kAppRanges;
    variables.emplace_back("tenant=00000000-0000-0000-0000-000000000001");
    while (!stopping_) {
      const auto result = testing::runPgbench(url_, {{script_}}, {"extended", 4, 10, variables});
      ++chunks_;
      if (!testing::isCleanPgbench(result, 40)) {
        failures_.push_back(result.output);
      }
      const auto rows = kubectl("get tm " + tm_ + " -n " + ns_ + " --no-headers");
      if (rows.exitCode == 0) {
        table_.push_back(rows.output);
      }
    }
  }

  testing::ScratchDir dir_;
  std::string url_;
  std::string ns_;
  std::string tm_;
  fs::path script_;
  std::atomic<bool> stopping_{false};
  int chunks_ = 0;
  std::vector<std::string> failures_;
  std::vector<std::string> table_;  // `kubectl get tm` rows, between chunks
  std::thread thread_;
};

// kubectl apply of the example holds the plan for approval (a wrong hash refused with a message
// that tells a typo from an old plan), then drives every phase as a Job to Ready while the
// application runs with 0 failed transactions; `kubectl get tm` shows the phase and progress as
// it goes; the database is verified afterwards.
TEST_F(Operator, ConvertsTheExampleToReadyWhileTheApplicationRuns) {
  const Migration m = migration("alphapulse", true, "  requireApproval: true\n");
  const std::string& url = database(m.name);
  createSecret(m.secret, secretUrl(url), true);
  startOperator();
  Application app(url, ns_, m.name);
  apply(manifest(m));

  waitFor(m.name, ".status.phase", "AwaitingApproval");
  expectHealth(m.name, "Reconciling", "InProgress", "Progressing");
  const std::string planHash = status(m.name).value("planHash", "");
  ASSERT_EQ(planHash.size(), 16U) << status(m.name).dump(2);
  EXPECT_NE(status(m.name).value("message", "").find(planHash), std::string::npos);
  EXPECT_TRUE(jobs().empty());
  EXPECT_FALSE(ledgerExists(url));

  kubectlOk("patch tm " + m.name + " -n " + ns_ +
            " --type merge -p '{\"spec\":{\"approvedPlan\":\"ffffffffffffffff\"}}'");
  waitFor(m.name, ".status.observedGeneration", "2");
  EXPECT_EQ(status(m.name).value("phase", ""), "AwaitingApproval");
  EXPECT_NE(status(m.name)
                .value("message", "")
                .find("does not match the plan hash in "
                      "status.planHash"),
            std::string::npos)
      << status(m.name).dump(2);
  EXPECT_TRUE(jobs().empty());
  kubectlOk("patch tm " + m.name + " -n " + ns_ +
            " --type merge -p '{\"spec\":{\"approvedPlan\":\"" + planHash + "\"}}'");

  waitReady(m.name);
  app.stop();
  EXPECT_TRUE(app.failures().empty())
      << app.failures().size() << " of " << app.chunks() << " workload chunks failed; first:\n"
      << app.failures().front();
  EXPECT_GE(app.chunks(), 3) << "the workload did not overlap the conversion";
  // `kubectl get tm` showed an engine phase with the steps done while it ran.
  const std::regex running(R"(^alphapulse\s+(Schema|Backfill|Constraints|RLS|Verify|Flag)\s+)"
                           R"(\d+/\d+ steps)");
  EXPECT_TRUE(std::any_of(app.table().begin(), app.table().end(),
                          [&](const std::string& row) { return std::regex_search(row, running); }))
      << "rows seen: " << nlohmann::json(app.table()).dump(2);

  expectConverted(m.name, m);
  EXPECT_EQ(status(m.name).value("observedGeneration", 0), 3);
  for (const auto& phase : status(m.name).value("phases", nlohmann::json::array())) {
    EXPECT_FALSE(phase.value("finishedAt", "").empty()) << phase.dump();
  }
  EXPECT_FALSE(status(m.name).value("progressObservedAt", "").empty());
  // Every Job ran the approved plan.
  for (const auto& job : jobs()) {
    const auto args = job["spec"]["template"]["spec"]["containers"][0]["args"];
    EXPECT_EQ(args[args.size() - 1], planHash) << job["metadata"]["name"];
  }
  EXPECT_NE(kubectlOk("logs -n " + ns_ + " job/alphapulse-backfill-g3"), "");
  const std::string everyEvent = events();
  for (const char* reason : {"PhaseStarted", "SchemaApplied", "Backfilled", "ConstraintsApplied",
                             "RLSEnabled", "IsolationVerified", "Enforced", "Ready"}) {
    EXPECT_NE(everyEvent.find("\"reason\": \"" + std::string(reason) + "\""), std::string::npos)
        << reason;
  }
  // The application after the flag: the tenant-aware one, isolated.
  testing::expectCleanPgbench(
      testing::runPgbench(
          testing::urlAs(url, "alphapulse_app", ""),
          {{testing::exampleDir() / "workload" / "tenant.sql"}},
          {"extended", 4, 10, {"tenant=00000000-0000-0000-0000-000000000001", "naccounts=80"}}),
      40);
  // The password is nowhere in the API or the operator's log.
  const std::string everything =
      kubectlOk("get tm,jobs,pods,configmaps,events -n " + ns_ + " -o json");
  EXPECT_EQ(everything.find(kPassword), std::string::npos);
  EXPECT_EQ(operators_[0]->output().find(kPassword), std::string::npos);
}

// A missing Secret, a Secret its owner did not opt in and a database that cannot be reached are
// each Stalled naming the cause, with nothing done; each proceeds once fixed (the operator reads
// the Secret again every 30 s).
TEST_F(Operator, EachCauseOfStalledIsNamedAndTheMigrationProceedsOnceFixed) {
  const Migration missing = migration("missing");
  const Migration optedOut = migration("opted-out");
  const Migration unreachable = migration("unreachable");
  createSecret(optedOut.secret, secretUrl(database(optedOut.name)), false);
  // A port nothing listens on.
  createSecret(unreachable.secret,
               "postgresql://postgres:" + std::string(kPassword) + "@127.0.0.1:1/nothing", true);
  database(missing.name);
  database(unreachable.name);
  startOperator();
  for (const Migration& m : {missing, optedOut, unreachable}) {
    apply(manifest(m));
  }
  waitStalled(missing.name, "SecretNotFound");
  EXPECT_NE(condition(missing.name, "Stalled", "message").find("missing-db"), std::string::npos);
  waitStalled(optedOut.name, "SecretNotOptedIn");
  EXPECT_NE(condition(optedOut.name, "Stalled", "message").find("tenantshift.dev/database"),
            std::string::npos);
  waitStalled(unreachable.name, "DatabaseUnreachable");
  EXPECT_EQ(condition(unreachable.name, "Stalled", "message").find(kPassword), std::string::npos);
  EXPECT_TRUE(jobs().empty());
  for (const Migration& m : {missing, optedOut, unreachable}) {
    EXPECT_FALSE(ledgerExists(database(m.name))) << m.name;
  }
  const std::string warnings = events();
  for (const char* reason : {"SecretNotFound", "SecretNotOptedIn", "DatabaseUnreachable"}) {
    EXPECT_NE(warnings.find(reason), std::string::npos) << reason;
  }

  createSecret(missing.secret, secretUrl(database(missing.name)), true);
  kubectlOk("label secret " + optedOut.secret + " -n " + ns_ + " tenantshift.dev/database=true");
  kubectlOk(
      "patch secret " + unreachable.secret + " -n " + ns_ + " --type merge -p " +
      shellQuote(nlohmann::json({{"stringData", {{"url", secretUrl(database(unreachable.name))}}}})
                     .dump()));
  for (const Migration& m : {missing, optedOut, unreachable}) {
    waitFor(m.name, ".status.conditions[?(@.type==\"SchemaApplied\")].status", "True", 180);
    EXPECT_EQ(condition(m.name, "Stalled"), "False") << m.name;
  }
}

// The operator SIGKILLed during the backfill and started again reaches the same end state as
// one that ran throughout: the Job it started runs on, nothing runs twice.
TEST_F(Operator, TheOperatorKilledDuringTheBackfillAndRestartedReachesTheSameEndState) {
  const Migration m = migration("alphapulse", true);
  ASSERT_NO_FATAL_FAILURE(startAndWaitForTheBackfill(m));
  operators_[0]->kill();
  EXPECT_FALSE(jobs("tenantshift.dev/phase=backfill").empty());

  startOperator();
  waitReady(m.name);
  expectConverted(m.name, m);
  for (const auto& job : jobs()) {
    EXPECT_EQ(job["status"].value("failed", 0), 0) << job["metadata"]["name"];
  }
}

// Two replicas with --leader-elect: only the Lease's holder acts; killed, the other takes over
// and finishes; no phase ever has two Jobs or a second pod. A leader whose Lease another takes
// stops and exits non-zero.
TEST_F(Operator, TwoReplicasWithLeaderElectionNeverRunTwoJobsOfOnePhase) {
  const Migration m = migration("alphapulse", true);
  const std::string& url = database(m.name);
  createSecret(m.secret, secretUrl(url), true);
  const std::vector<std::string> elect = {"--leader-elect", "--leader-election-id", "ts-e2e"};
  testing::TenantshiftProcess& first = startOperator(elect);
  testing::TenantshiftProcess& second = startOperator(elect);
  const std::regex acquired(R"(leases \S+ acquired identity=(\S+))");
  std::smatch match;
  std::string leaderLog;
  ASSERT_TRUE(pollUntil(
      [&] {
        for (auto* op : {&first, &second}) {
          leaderLog = op->output();
          if (std::regex_search(leaderLog, match, acquired)) {
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(60)));
  const std::string leaderId = match[1];
  testing::TenantshiftProcess& leader =
      first.output().find("identity=" + leaderId) != std::string::npos ? first : second;
  testing::TenantshiftProcess& follower = &leader == &first ? second : first;
  EXPECT_EQ(kubectlOk("get lease ts-e2e -n " + ns_ + " -o jsonpath={.spec.holderIdentity}"),
            leaderId);

  apply(manifest(m));
  waitFor(m.name, ".status.phase", "Backfill");
  ASSERT_TRUE(pollUntil([&] { return backfillUnderWay(url); }, std::chrono::seconds(60)));
  EXPECT_EQ(follower.output().find("job created"), std::string::npos) << "the follower acted:\n"
                                                                      << follower.output();
  leader.kill();

  // The follower takes over once it has seen no renewal for the lease duration.
  ASSERT_TRUE(pollUntil(
      [&] {
        return std::regex_search(follower.output(), acquired) &&
               follower.output().find("identity=" + leaderId) == std::string::npos;
      },
      std::chrono::seconds(60)))
      << follower.output();
  waitReady(m.name);
  expectConverted(m.name, m);
  for (const auto& job : jobs()) {
    EXPECT_EQ(job["status"].value("failed", 0), 0) << job["metadata"]["name"];
  }
  for (const char* phase : {"schema", "backfill", "constraints", "rls", "verify", "flag"}) {
    EXPECT_EQ(pods(std::string("tenantshift.dev/phase=") + phase).size(), 1U) << phase;
  }
  const std::string everyEvent = events();
  EXPECT_EQ(everyEvent.find("LockHeld"), std::string::npos) << "two runners met";

  // Another holder writes the Lease: the leader stops at once and exits with status 1.
  kubectlOk("patch lease ts-e2e -n " + ns_ +
            " --type merge -p '{\"spec\":{\"holderIdentity\":\"intruder\"}}'");
  ASSERT_TRUE(pollUntil([&] { return follower.poll().has_value(); }, std::chrono::seconds(30)))
      << follower.output();
  EXPECT_EQ(follower.poll(), 1);
  EXPECT_NE(follower.output().find("leadership lost"), std::string::npos) << follower.output();
  // For the teardown's deletions: with the Lease gone, a new replica leads at once.
  kubectlOk("delete lease ts-e2e -n " + ns_);
  startOperator(elect);
}

// A phase Job's pod killed mid-batch (SIGKILL, no chance to stop cleanly): the Job's next pod
// resumes from the cursor, and no key is scanned twice.
TEST_F(Operator, APhaseJobsPodKilledMidBatchIsResumedFromTheCursor) {
  const Migration m = migration("alphapulse", true);
  const std::string& url = database(m.name);
  ASSERT_NO_FATAL_FAILURE(startAndWaitForTheBackfill(m));
  const nlohmann::json running = pods("job-name=alphapulse-backfill-g1");
  ASSERT_EQ(running.size(), 1U);
  const std::string killed = running[0]["metadata"]["name"];
  kubectlOk("delete pod " + killed + " -n " + ns_ + " --grace-period=0 --force");

  waitReady(m.name);
  const nlohmann::json backfill = jobs("tenantshift.dev/phase=backfill");
  ASSERT_EQ(backfill.size(), 1U);
  EXPECT_EQ(backfill[0]["status"].value("succeeded", 0), 1);
  std::string retried;
  for (const auto& pod : pods("job-name=alphapulse-backfill-g1")) {
    if (pod["metadata"]["name"] != killed) {
      retried = pod["metadata"]["name"];
    }
  }
  ASSERT_FALSE(retried.empty()) << "the Job ran no second pod";
  const std::string log = kubectlOk("logs -n " + ns_ + " " + retried);
  std::smatch resumed;
  ASSERT_TRUE(std::regex_search(log, resumed,
                                std::regex(R"(backfill resuming table=(\S+) rows_done=\d+ )"
                                           R"(rows_scanned=(\d+))")))
      << log;
  EXPECT_GT(std::stoll(resumed[2]), 0);
  // Every key covered once: the keyset pass went on from the cursor, never back.
  for (const std::string& row : queryColumn(
           url, "SELECT table_name || ' ' || rows_scanned FROM tenantshift.backfill_cursor")) {
    const std::string table = row.substr(0, row.find(' '));
    EXPECT_EQ(std::stoll(row.substr(row.find(' ') + 1)),
              queryInt(url, "SELECT count(*) FROM public." + table))
        << table << ": a key scanned twice, or not at all";
  }
  expectConverted(m.name, m);
}

// spec.paused stops a running Job between batches and starts none; false resumes from the
// cursor. A migration that depends on another waits until that one is Ready, then runs.
TEST_F(Operator, PausedWaitsAndResumesAndADependentMigrationWaitsForItsDependency) {
  const Migration platform = migration("platform", true);
  const Migration app = migration("alphapulse", false, "  dependsOn:\n    - name: platform\n");
  createSecret(platform.secret, secretUrl(database(platform.name)), true);
  createSecret(app.secret, secretUrl(database(app.name)), true);
  startOperator();
  apply(manifest(app));
  apply(manifest(platform));
  waitFor(app.name, ".status.phase", "WaitingForDependencies");
  EXPECT_NE(status(app.name).value("message", "").find("platform"), std::string::npos);

  waitFor(platform.name, ".status.phase", "Backfill");
  const std::string& url = database(platform.name);
  ASSERT_TRUE(pollUntil([&] { return backfillUnderWay(url); }, std::chrono::seconds(60)));
  kubectlOk("patch tm platform -n " + ns_ + " --type merge -p '{\"spec\":{\"paused\":true}}'");
  waitFor(platform.name, ".status.phase", "Paused");
  // Argo CD shows a paused migration Suspended; kstatus has no such state: InProgress, for Ready
  // is False.
  const nlohmann::json paused =
      nlohmann::json::parse(kubectlOk("get tm platform -n " + ns_ + " -o json"));
  EXPECT_EQ(argoCdHealth(paused).status, "Suspended") << paused["status"].dump(2);
  EXPECT_EQ(kstatus(paused).status, "InProgress") << paused["status"].dump(2);
  // Its Job is gone once its pod has stopped; the cursor stays where it stopped.
  kubectlOk("wait --for=delete job/platform-backfill-g1 -n " + ns_ + " --timeout=120s");
  EXPECT_TRUE(pods("tenantshift.dev/migration=platform,tenantshift.dev/phase=backfill").empty());
  const std::int64_t stoppedAt =
      queryInt(url, "SELECT coalesce(sum(rows_scanned), 0) FROM tenantshift.backfill_cursor");
  EXPECT_GT(stoppedAt, 0);
  EXPECT_TRUE(runnerLockFree(url));
  EXPECT_TRUE(jobs("tenantshift.dev/migration=alphapulse").empty());
  EXPECT_EQ(status(app.name).value("phase", ""), "WaitingForDependencies");

  kubectlOk("patch tm platform -n " + ns_ + " --type merge -p '{\"spec\":{\"paused\":false}}'");
  waitReady(platform.name);
  expectConverted(platform.name, platform);
  waitReady(app.name);
  expectConverted(app.name, app);
}

// Deleting the TenantMigration during its backfill: its Job's pod stops, the finalizer goes only
// then, the database keeps what was done (nothing is rolled back), the application works, and
// the runner lock is free: the CLI resumes the phase.
TEST_F(Operator, DeletingTheMigrationMidRunLeavesTheDatabaseUsableAndTheLockFree) {
  const Migration m = migration("alphapulse", true);
  const std::string& url = database(m.name);
  ASSERT_NO_FATAL_FAILURE(startAndWaitForTheBackfill(m));

  const std::string tenantColumns =
      "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND "
      "column_name = 'tenant_id'";
  const std::int64_t columnsBefore = queryInt(url, tenantColumns);
  EXPECT_GT(columnsBefore, 0);
  kubectlOk("delete tm " + m.name + " -n " + ns_ + " --wait=false");
  kubectlOk("wait --for=delete tm/" + m.name + " -n " + ns_ + " --timeout=120s");
  for (const auto& pod : pods("tenantshift.dev/migration=" + m.name)) {
    const std::string phase = pod["status"].value("phase", "");
    EXPECT_TRUE(phase == "Succeeded" || phase == "Failed")
        << pod["metadata"]["name"] << " still " << phase << " after the finalizer went";
  }
  EXPECT_TRUE(runnerLockFree(url));
  EXPECT_EQ(queryInt(url, tenantColumns), columnsBefore) << "deleting rolled something back";
  testing::expectCleanPgbench(
      testing::runPgbench(testing::urlAs(url, "alphapulse_app", ""),
                          {{testing::exampleDir() / "workload" / "app.sql"}},
                          {"extended", 4, 10, kAppRanges}),
      40);
  const auto resumed =
      testing::runTenantshift(url, {"phase", "backfill", "-f", manifestFile(m).string()});
  EXPECT_EQ(resumed.exitCode, 0) << resumed.output;
  EXPECT_EQ(queryInt(url, "SELECT count(*) FROM public.trades WHERE tenant_id IS NULL"), 0);
}

// A spec the API server accepts but the database refuses (a table that is not there) is
// Stalled naming it, and changes nothing in the database.
TEST_F(Operator, ASpecTheDatabaseRefusesIsStalledAndChangesNothing) {
  const Migration m = migration();
  const std::string& url = database(m.name);
  createSecret(m.secret, secretUrl(url), true);
  std::string yaml = manifest(m);
  yaml = replaceOnce(yaml, "exclude: [alembic_version, feature_flags]",
                     "exclude: [alembic_version, feature_flags, no_such_table]");
  startOperator();
  apply(yaml);
  waitStalled(m.name, "PlanRefused");
  EXPECT_NE(condition(m.name, "Stalled", "message").find("no_such_table"), std::string::npos)
      << status(m.name).dump(2);
  EXPECT_TRUE(jobs().empty());
  EXPECT_FALSE(ledgerExists(url));
}

// The fields that cannot change once a migration started are refused by the API server (no
// operator runs here: the test writes the status itself).
TEST_F(Operator, AnImmutableFieldChangeAfterTheStartIsRejectedByTheApiServer) {
  apply(manifest(migration("alphapulse", false, "  paused: true\n")));
  kubectlOk("patch tm alphapulse -n " + ns_ +
            " --subresource=status --type merge -p '{\"status\":{\"stepsDone\":3}}'");
  const CommandResult change = kubectl("patch tm alphapulse -n " + ns_ +
                                       " --type merge -p '{\"spec\":{\"tenant\":{\"idType\":"
                                       "\"bigint\",\"default\":{\"id\":\"1\"}}}}'");
  EXPECT_NE(change.exitCode, 0);
  EXPECT_NE(change.output.find("cannot change once the migration has started"), std::string::npos)
      << change.output;
  // What may change still can.
  kubectlOk("patch tm alphapulse -n " + ns_ + " --type merge -p '{\"spec\":{\"paused\":false}}'");
}

}  // namespace
}  // namespace tenantshift::e2e
