#pragma once

// Reaching the e2e control plane (tests/e2e/cluster) that ctest's e2e_cluster_up started: its
// state directory, kubectl as system:masters, a namespace per test.

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "support/postgres_server.h"

namespace tenantshift::e2e {

// $E2E_STATE_DIR (set by ctest); throws when it is not set.
std::filesystem::path stateDir();
// The plane's admin kubeconfig (system:masters).
std::string adminKubeconfig();

// kubectl ARGS with the admin kubeconfig; kubectlOk throws with the output when it fails, and
// kubectlJson parses what `ARGS -o json` prints.
testing::CommandResult kubectl(const std::string& args);
std::string kubectlOk(const std::string& args);
nlohmann::json kubectlJson(const std::string& args);

// Applies the repository's TenantMigration CRD and waits until the API server serves it.
void applyCrd();

// "<prefix>-<pid>-<the running test's name>", lower case, at most 63 characters: a namespace
// of the test's own.
std::string testNamespace(const std::string& prefix);

// Polls `condition` every 200 ms until it holds or `limit` passes: for states of a process or
// a database, which nothing can be told to announce.
bool pollUntil(const std::function<bool()>& condition, std::chrono::seconds limit);

}  // namespace tenantshift::e2e
