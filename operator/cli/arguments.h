#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tenantshift::cli {

// A command line that cannot be carried out: the message says which option and why.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OutputFormat { Text, Json };

struct Arguments {
  std::string command;       // plan | run | phase | verify | status | rollback | help | version
  bool help = false;         // --help given (for `command`, or in general when command is empty)
  std::string manifestPath;  // -f / --file
  std::optional<std::string> databaseUrl;  // --database-url; else from the environment
  std::optional<std::string> until;        // run --until PHASE
  std::optional<std::string> phase;        // phase NAME (a plan::Phase name, checked)
  // phase/run --expect-plan-hash HASH: run only if the plan's hash is HASH (the approved plan).
  std::optional<std::string> expectPlanHash;
  std::optional<std::string> scenario;       // rollback --scenario
  bool allowDataLoss = false;                // rollback --allow-data-loss
  OutputFormat output = OutputFormat::Text;  // -o / --output text|json
  std::optional<std::string> logLevel;       // --log-level trace|debug|info|warn|error|off
  // --termination-message-path PATH: where the command's JSON summary goes before it exits.
  std::optional<std::string> terminationMessagePath;
  // --kubeconfig PATH and --context NAME: the cluster of a feature flag in a ConfigMap or a
  // Deployment (spec.featureFlag.configMap/deployment); else $KUBECONFIG, the pod's service
  // account, ~/.kube/config.
  std::optional<std::string> kubeconfig;
  std::string context;
};

// Parses argv (without the program name). Pure: the environment is not read here.
Arguments parseArguments(const std::vector<std::string>& args);

// The value of --termination-message-path in `args`, found without parsing the rest: so that a
// command line parseArguments refuses still gets its termination message.
std::optional<std::string> terminationMessagePathIn(const std::vector<std::string>& args);

// The database URL: --database-url, else $TENANTSHIFT_DATABASE_URL, else $DATABASE_URL.
// Throws UsageError naming all three when none is set.
std::string resolveDatabaseUrl(const Arguments& arguments);

}  // namespace tenantshift::cli
