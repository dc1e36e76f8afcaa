#include "plane/kube_plane.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace tenantshift::e2e {

std::filesystem::path stateDir() {
  const char* dir = std::getenv("E2E_STATE_DIR");  // NOLINT(concurrency-mt-unsafe)
  if (dir == nullptr) {
    throw std::runtime_error("E2E_STATE_DIR is not set: run through ctest (tests/e2e)");
  }
  return dir;
}

std::string adminKubeconfig() {
  return (stateDir() / "admin.kubeconfig").string();
}

testing::CommandResult kubectl(const std::string& args) {
  return testing::runCommand("kubectl --kubeconfig " + testing::shellQuote(adminKubeconfig()) +
                             " " + args);
}

std::string kubectlOk(const std::string& args) {
  const testing::CommandResult result = kubectl(args);
  if (result.exitCode != 0) {
    throw std::runtime_error("kubectl " + args + " failed (" + std::to_string(result.exitCode) +
                             "):\n" + result.output);
  }
  return result.output;
}

nlohmann::json kubectlJson(const std::string& args) {
  return nlohmann::json::parse(kubectlOk(args + " -o json"));
}

void applyCrd() {
  kubectlOk("apply -f " + testing::shellQuote(std::string(TENANTSHIFT_SOURCE_DIR) +
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

}  // namespace tenantshift::e2e
