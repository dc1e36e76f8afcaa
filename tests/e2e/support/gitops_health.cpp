#include "gitops_health.h"

#include <stdexcept>
#include <vector>

#include "plane_commands.h"
#include "support/scratch_files.h"

namespace tenantshift::e2e {
namespace {

// Runs the tool with `object` on standard input and reads its "STATUS: MESSAGE" line.
Health runHealthTool(const std::string& name, const std::vector<std::string>& args,
                     const nlohmann::json& object) {
  const testing::ScratchDir dir;
  const auto file = testing::writeFile(dir.path(), "object.json", object.dump());
  std::string command = testing::shellQuote(tool(name).string());
  for (const std::string& arg : args) {
    command += " " + testing::shellQuote(arg);
  }
  const testing::CommandResult result =
      testing::runCommand(command + " < " + testing::shellQuote(file.string()));
  const std::size_t colon = result.output.find(": ");
  if (result.exitCode != 0 || colon == std::string::npos) {
    throw std::runtime_error(name + " refused the object (" + std::to_string(result.exitCode) +
                             "): " + result.output);
  }
  std::string message = result.output.substr(colon + 2);
  if (!message.empty() && message.back() == '\n') {
    message.pop_back();
  }
  return {result.output.substr(0, colon), message};
}

}  // namespace

Health kstatus(const nlohmann::json& object) {
  return runHealthTool("kstatus", {}, object);
}

Health argoCdHealth(const nlohmann::json& object) {
  return runHealthTool("argocd-health",
                       {TENANTSHIFT_SOURCE_DIR "/charts/tenantshift/argocd-health.lua"}, object);
}

}  // namespace tenantshift::e2e
