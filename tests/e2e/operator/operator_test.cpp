// e2e: `tenantshift operator` on the real control plane (tests/e2e/cluster) converting the
// AlphaPulse example in a real PostgreSQL started by the harness. The operator's phase Jobs run
// the real binary (the pod runner runs it for images named tenantshift). Every wait is bounded
// (`kubectl wait --timeout`) and nothing is timed; each test works in a namespace of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/example_database.h"
#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/scratch_files.h"
#include "support/tenantshift_process.h"

namespace tenantshift::e2e {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::PostgresServer;
using testing::queryInt;
using testing::queryValue;
using testing::runCommand;
using testing::shellQuote;

// The password in the URL the Secret holds (the harness' server trusts every local connection,
// so it is never checked): it must appear in no object, status, Event or log.
constexpr const char* kPassword = "e2e-s3cret-pw";

fs::path stateDir() {
  const char* dir = std::getenv("E2E_STATE_DIR");  // NOLINT(concurrency-mt-unsafe)
  if (dir == nullptr) {
    throw std::runtime_error("E2E_STATE_DIR is not set: run through ctest (tests/e2e)");
  }
  return dir;
}

std::string kubeconfig() {
  return (stateDir() / "admin.kubeconfig").string();
}

CommandResult kubectl(const std::string& args) {
  return runCommand("kubectl --kubeconfig " + shellQuote(kubeconfig()) + " " + args);
}

std::string kubectlOk(const std::string& args) {
  const CommandResult result = kubectl(args);
  if (result.exitCode != 0) {
    throw std::runtime_error("kubectl " + args + " failed (" + std::to_string(result.exitCode) +
                             "):\n" + result.output);
  }
  return result.output;
}

// The example's migration.yaml with the operator's fields added under spec.
std::string manifest(const std::string& extraSpec) {
  std::string text = testing::readFile(testing::exampleDir() / "migration.yaml");
  const std::string database = "  database:\n";
  const std::size_t at = text.find(database);
  if (at == std::string::npos) {
    throw std::runtime_error("migration.yaml has no spec.database");
  }
  text.insert(at + database.size(), "    urlSecretRef: {name: alphapulse-db, key: url}\n");
  return text + extraSpec;
}

class Operator : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = "op-" + std::to_string(getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : ns_) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    ns_ = ns_.substr(0, 63);
    kubectlOk("apply -f " + shellQuote(std::string(TENANTSHIFT_SOURCE_DIR) +
                                       "/crds/tenantshift.dev_tenantmigrations.yaml"));
    kubectlOk(
        "wait --for=condition=Established crd/tenantmigrations.tenantshift.dev "
        "--timeout=60s");
    kubectlOk("create namespace " + ns_);
    auto& server = PostgresServer::shared();
    url_ = server.createDatabase("operator");
    testing::loadExample(url_, "0.01");
    secretUrl_ = "postgresql://postgres:" + std::string(kPassword) +
                 "@127.0.0.1:" + std::to_string(server.port()) + "/" + testing::databaseName(url_);
  }

  void startOperator() {
    operator_ = std::make_unique<testing::TenantshiftProcess>(
        "", std::vector<std::string>{"operator", "--kubeconfig", kubeconfig(), "--namespace", ns_,
                                     "--image", "registry.example/tenantshift:e2e"});
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "operator log:\n"
                << (operator_ ? operator_->output() : "(not started)") << "\n"
                << kubectl("get tm,jobs,pods,events -n " + ns_ + " -o wide").output;
    }
    operator_.reset();
    kubectl("delete namespace " + ns_ + " --wait=false");
  }

  void apply(const std::string& yaml) {
    scratch_ = std::make_unique<testing::ScratchDir>();
    const fs::path file = testing::writeFile(scratch_->path(), "tm.yaml", yaml);
    kubectlOk("apply -n " + ns_ + " -f " + shellQuote(file.string()));
  }

  void createSecret(bool optedIn) {
    kubectlOk("create secret generic alphapulse-db -n " + ns_ +
              " --from-literal=url=" + shellQuote(secretUrl_));
    if (optedIn) {
      kubectlOk("label secret alphapulse-db -n " + ns_ + " tenantshift.dev/database=true");
    }
  }

  // Waits for a jsonpath of tm/alphapulse to have `value`.
  void waitFor(const std::string& jsonpath, const std::string& value, int seconds = 120) {
    const CommandResult result = kubectl("wait -n " + ns_ + " tm/alphapulse --for=jsonpath=" +
                                         shellQuote("{" + jsonpath + "}=" + value) +
                                         " --timeout=" + std::to_string(seconds) + "s");
    ASSERT_EQ(result.exitCode, 0) << jsonpath << " never became " << value << ":\n"
                                  << result.output << "\nstatus: " << status().dump(2);
  }

  nlohmann::json status() {
    const CommandResult result = kubectl("get tm alphapulse -n " + ns_ + " -o json");
    if (result.exitCode != 0) {
      return nullptr;
    }
    return nlohmann::json::parse(result.output).value("status", nlohmann::json::object());
  }

  std::string condition(const std::string& type, const char* field = "status") {
    for (const auto& c : status().value("conditions", nlohmann::json::array())) {
      if (c.value("type", "") == type) {
        return c.value(field, "");
      }
    }
    return "";
  }

  nlohmann::json jobs() {
    return nlohmann::json::parse(kubectlOk("get jobs -n " + ns_ + " -o json"))["items"];
  }

  bool ledgerExists() {
    return queryValue(url_, "SELECT to_regnamespace('tenantshift') IS NOT NULL") == "t";
  }

  std::string ns_;
  std::string url_;
  std::string secretUrl_;
  std::unique_ptr<testing::TenantshiftProcess> operator_;
  std::unique_ptr<testing::ScratchDir> scratch_;
};

// kubectl apply of the example holds for its Secret and for approval, then drives every phase
// as a Job to Ready; the database is converted, verified and enforced; deleting the
// TenantMigration leaves the database usable.
TEST_F(Operator, ConvertsTheExampleOnceTheSecretIsOptedInAndThePlanApproved) {
  createSecret(false);
  startOperator();
  apply(manifest("  requireApproval: true\n"));

  // A Secret its owner did not opt in is not used: Stalled, naming the cause; nothing changed.
  waitFor(".status.conditions[?(@.type==\"Stalled\")].reason", "SecretNotOptedIn");
  EXPECT_NE(condition("Stalled", "message").find("tenantshift.dev/database"), std::string::npos);
  EXPECT_TRUE(jobs().empty());
  EXPECT_FALSE(ledgerExists());

  // Opted in: the plan is made and held for approval.
  kubectlOk("label secret alphapulse-db -n " + ns_ + " tenantshift.dev/database=true");
  waitFor(".status.phase", "AwaitingApproval");
  const std::string planHash = status().value("planHash", "");
  ASSERT_EQ(planHash.size(), 16U) << status().dump(2);
  EXPECT_NE(status().value("message", "").find(planHash), std::string::npos);
  EXPECT_TRUE(jobs().empty());
  EXPECT_FALSE(ledgerExists());

  // A wrong hash is refused with a message; the right one starts the phases.
  kubectlOk("patch tm alphapulse -n " + ns_ +
            " --type merge -p '{\"spec\":{\"approvedPlan\":\"ffffffffffffffff\"}}'");
  waitFor(".status.observedGeneration", "2");
  EXPECT_EQ(status().value("phase", ""), "AwaitingApproval");
  EXPECT_NE(status().value("message", "").find("plan changed since it was approved"),
            std::string::npos)
      << status().dump(2);
  EXPECT_TRUE(jobs().empty());
  kubectlOk("patch tm alphapulse -n " + ns_ + " --type merge -p '{\"spec\":{\"approvedPlan\":\"" +
            planHash + "\"}}'");

  waitFor(".status.conditions[?(@.type==\"Ready\")].status", "True", 900);
  const nlohmann::json done = status();
  EXPECT_EQ(done.value("phase", ""), "Ready");
  EXPECT_EQ(done.value("stepsDone", -1), done.value("stepsTotal", -2));
  EXPECT_GT(done.value("stepsTotal", 0), 10);
  EXPECT_EQ(done.value("observedGeneration", 0), 3);
  for (const char* type : {"SchemaApplied", "Backfilled", "ConstraintsApplied", "RLSEnabled",
                           "IsolationVerified", "FlagFlipped", "Enforced"}) {
    EXPECT_EQ(condition(type), "True") << type;
  }
  EXPECT_EQ(condition("Stalled"), "False");
  EXPECT_EQ(condition("Reconciling"), "False");
  for (const auto& phase : done.value("phases", nlohmann::json::array())) {
    EXPECT_FALSE(phase.value("finishedAt", "").empty()) << phase.dump();
  }

  // One Job per phase, each completed, owned by the migration; kubectl logs works.
  const nlohmann::json phaseJobs = jobs();
  EXPECT_EQ(phaseJobs.size(), 6U);
  for (const auto& job : phaseJobs) {
    EXPECT_EQ(job["metadata"]["ownerReferences"][0]["kind"], "TenantMigration");
    EXPECT_EQ(job["status"].value("succeeded", 0), 1) << job["metadata"]["name"];
  }
  EXPECT_NE(kubectlOk("logs -n " + ns_ + " job/alphapulse-backfill-g3"), "");
  const std::string table = kubectlOk("get tm -n " + ns_);
  EXPECT_NE(table.find("PROGRESS"), std::string::npos) << table;
  EXPECT_NE(table.find("Ready"), std::string::npos) << table;

  // Events for the phases and for Ready.
  const std::string events = kubectlOk("get events -n " + ns_ + " -o json");
  EXPECT_NE(events.find("PhaseStarted"), std::string::npos);
  EXPECT_NE(events.find("IsolationVerified"), std::string::npos);

  // The database: enforced (the app role sees no row without a tenant), ledger unlocked.
  const std::string app = testing::urlAs(url_, "alphapulse_app", "alphapulse-demo");
  EXPECT_EQ(queryInt(app, "SELECT count(*) FROM trades"), 0);
  EXPECT_GT(queryInt(url_, "SELECT count(*) FROM trades WHERE tenant_id IS NOT NULL"), 0);

  // The password is nowhere in the API or the operator's log.
  const std::string everything =
      kubectlOk("get tm,jobs,pods,configmaps,events -n " + ns_ + " -o json");
  EXPECT_EQ(everything.find(kPassword), std::string::npos);
  EXPECT_EQ(operator_->output().find(kPassword), std::string::npos);

  // Deleting it: the finalizer goes once no Job runs, and the database is left as it is.
  kubectlOk("delete tm alphapulse -n " + ns_ + " --timeout=60s");
  EXPECT_EQ(queryInt(app, "SELECT count(*) FROM trades"), 0);
  const auto verify = testing::runTenantshift(
      url_, {"status", "-f", (testing::exampleDir() / "migration.yaml").string()});
  EXPECT_EQ(verify.exitCode, 0) << verify.output;
}

// A spec the API server accepts but the database refuses (a table that is not there) is
// Stalled naming it, and changes nothing in the database.
TEST_F(Operator, ASpecTheDatabaseRefusesIsStalledAndChangesNothing) {
  createSecret(true);
  std::string yaml = manifest("");
  const std::string exclude = "exclude: [alembic_version, feature_flags]";
  ASSERT_NE(yaml.find(exclude), std::string::npos);
  yaml.replace(yaml.find(exclude), exclude.size(),
               "exclude: [alembic_version, feature_flags, no_such_table]");
  startOperator();
  apply(yaml);
  waitFor(".status.conditions[?(@.type==\"Stalled\")].status", "True");
  EXPECT_EQ(condition("Stalled", "reason"), "PlanRefused");
  EXPECT_NE(condition("Stalled", "message").find("no_such_table"), std::string::npos)
      << status().dump(2);
  EXPECT_TRUE(jobs().empty());
  EXPECT_FALSE(ledgerExists());
}

// The fields that cannot change once a migration started are refused by the API server (no
// operator runs here: the test writes the status itself).
TEST_F(Operator, AnImmutableFieldChangeAfterTheStartIsRejectedByTheApiServer) {
  apply(manifest("  paused: true\n"));
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
