#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "support/postgres_server.h"

// The command-line tools the e2e tests drive the control plane with (tests/e2e/cluster), as its
// admin: kubectl (on PATH) and helm (built by tests/e2e/tools/build.sh); a namespace per test.
namespace tenantshift::e2e {

// The plane's state directory: E2E_STATE_DIR, which ctest sets (tests/e2e/CMakeLists.txt).
std::filesystem::path stateDir();
// Its admin kubeconfig (system:masters).
std::string kubeconfig();

// stdout and stderr apart, for a command whose stdout is data (JSON, YAML) and whose stderr may
// carry warnings.
struct SplitOutput {
  int exitCode = 0;
  std::string out;
  std::string err;
};

// kubectl ARGS; the output is stdout and stderr together.
testing::CommandResult kubectl(const std::string& args);
// kubectl ARGS, throwing with its output when it fails; returns the output.
std::string kubectlOk(const std::string& args);
SplitOutput kubectlSplit(const std::string& args);
// What kubectl `ARGS -o json` prints, parsed.
nlohmann::json kubectlJson(const std::string& args);

// Applies the repository's TenantMigration CRD and waits until the API server serves it.
void applyCrd();

// "<prefix>-<pid>-<the running test's name>", lower case, at most 63 characters: a namespace
// of the test's own.
std::string testNamespace(const std::string& prefix);

// Polls `condition` every 200 ms until it holds or `limit` passes: for states of a process or
// a database, which nothing can be told to announce.
bool pollUntil(const std::function<bool()>& condition, std::chrono::seconds limit);

// helm ARGS, with its cache, config and data in the state directory.
testing::CommandResult helm(const std::string& args);
SplitOutput helmSplit(const std::string& args);

// A binary of tests/e2e/tools (helm, kstatus); throws, saying how to build it, when missing.
std::filesystem::path tool(const std::string& name);

}  // namespace tenantshift::e2e
