#include "plane_commands.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "support/scratch_files.h"

namespace tenantshift::e2e {
namespace {

namespace fs = std::filesystem;
using testing::shellQuote;

std::string kubectlCommand(const std::string& args) {
  return "kubectl --kubeconfig " + shellQuote(kubeconfig()) + " " + args;
}

std::string helmCommand(const std::string& args) {
  const fs::path home = stateDir() / "helm";
  return "HELM_CACHE_HOME=" + shellQuote((home / "cache").string()) +
         " HELM_CONFIG_HOME=" + shellQuote((home / "config").string()) +
         " HELM_DATA_HOME=" + shellQuote((home / "data").string()) + " " +
         shellQuote(tool("helm").string()) + " --kubeconfig " + shellQuote(kubeconfig()) + " " +
         args;
}

SplitOutput runSplit(const std::string& command) {
  const testing::ScratchDir dir;
  const fs::path err = dir.path() / "stderr";
  const testing::CommandResult result =
      // runCommand sends the stderr of what it runs to stdout: only the outer group's.
      testing::runCommand("{ { " + command + "; } 2>" + shellQuote(err.string()) + "; }");
  return {result.exitCode, result.output, testing::readFile(err)};
}

}  // namespace

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

testing::CommandResult kubectl(const std::string& args) {
  return testing::runCommand(kubectlCommand(args));
}

std::string kubectlOk(const std::string& args) {
  const testing::CommandResult result = kubectl(args);
  if (result.exitCode != 0) {
    throw std::runtime_error("kubectl " + args + " failed (" + std::to_string(result.exitCode) +
                             "):\n" + result.output);
  }
  return result.output;
}

SplitOutput kubectlSplit(const std::string& args) {
  return runSplit(kubectlCommand(args));
}

nlohmann::json kubectlJson(const std::string& args) {
  return nlohmann::json::parse(kubectlOk(args + " -o json"));
}

void applyCrd() {
  kubectlOk("apply -f " + shellQuote(std::string(TENANTSHIFT_SOURCE_DIR) +
                                     "/crds/tenantshift.dev_tenantmigrations.yaml"));
  kubectlOk("wait --for=condition=Established crd/tenantmigrations.tenantshift.dev --timeout=60s");
}

std::string testNamespace(const std::string& prefix) {
  std::string ns = prefix + "-" + std::to_string(getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : ns) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  ns = ns.substr(0, 63);
  while (!ns.empty() && ns.back() == '-') {
    ns.pop_back();
  }
  return ns;
}

bool pollUntil(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

testing::CommandResult helm(const std::string& args) {
  return testing::runCommand(helmCommand(args));
}

SplitOutput helmSplit(const std::string& args) {
  return runSplit(helmCommand(args));
}

fs::path tool(const std::string& name) {
  fs::path path = fs::path(E2E_TOOLS_DIR) / name;
  if (!fs::exists(path)) {
    throw std::runtime_error(path.string() +
                             " is missing: run through ctest (the fixture e2e_tools_build), or "
                             "tests/e2e/tools/build.sh <build>/e2e-cluster");
  }
  return path;
}

}  // namespace tenantshift::e2e
