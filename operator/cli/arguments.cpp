#include "cli/arguments.h"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "plan/step.h"

namespace tenantshift::cli {

namespace {

constexpr std::array<const char*, 8> kCommands = {"plan",   "run",      "phase", "verify",
                                                  "status", "rollback", "help",  "version"};
constexpr const char* kTerminationMessagePath = "--termination-message-path";

bool needsManifest(const std::string& command) {
  return command == "plan" || command == "run" || command == "phase" || command == "verify" ||
         command == "status" || command == "rollback";
}

bool isCommand(const std::string& word) {
  return std::any_of(kCommands.begin(), kCommands.end(), [&](const char* c) { return word == c; });
}

// Splits "--name=value" into name and value.
std::pair<std::string, std::optional<std::string>> splitOption(const std::string& arg) {
  auto eq = arg.find('=');
  if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
    return {arg.substr(0, eq), arg.substr(eq + 1)};
  }
  return {arg, std::nullopt};
}

bool optionAllowed(const std::string& command, const std::string& option) {
  if (option == "--help" || option == "-h" || option == "--log-level") {
    return true;
  }
  if (needsManifest(command)) {
    if (option == "-f" || option == "--file" || option == "--database-url" || option == "-o" ||
        option == "--output" || option == kTerminationMessagePath || option == "--kubeconfig" ||
        option == "--context") {
      return true;
    }
  }
  if (command == "run" && option == "--until") {
    return true;
  }
  if ((command == "run" || command == "phase") && option == "--expect-plan-hash") {
    return true;
  }
  if (command == "rollback" && (option == "--scenario" || option == "--allow-data-loss")) {
    return true;
  }
  return false;
}

}  // namespace

Arguments parseArguments(const std::vector<std::string>& args) {
  Arguments parsed;
  std::size_t i = 0;
  if (i < args.size()) {
    const auto& first = args[i];
    if (first == "--version" || first == "-V") {
      parsed.command = "version";
      ++i;
    } else if (first == "--help" || first == "-h") {
      parsed.command = "help";
      ++i;
    } else if (isCommand(first)) {
      parsed.command = first;
      ++i;
    } else if (first.rfind('-', 0) != 0) {
      throw UsageError(
          "unknown command \"" + first +
          "\" (commands: plan, run, phase, verify, status, rollback; see tenantshift --help)");
    }
  }
  if (parsed.command.empty()) {
    parsed.command = "help";
  }
  if (parsed.command == "help" && i < args.size() && isCommand(args[i])) {
    parsed.command = args[i++];
    parsed.help = true;
  }
  while (i < args.size()) {
    if (parsed.command == "phase" && !parsed.phase && args[i].rfind('-', 0) != 0) {
      parsed.phase = args[i++];
      if (!plan::phaseFromString(*parsed.phase)) {
        throw UsageError("unknown phase \"" + *parsed.phase +
                         "\" (phases: schema, backfill, constraints, rls, verify, flag)");
      }
      continue;
    }
    const auto split = splitOption(args[i]);
    const std::string& option = split.first;
    const std::optional<std::string>& inlineValue = split.second;
    ++i;
    if (!optionAllowed(parsed.command, option)) {
      throw UsageError("unknown option \"" + option + "\" for `tenantshift " + parsed.command +
                       "` (see tenantshift " + parsed.command + " --help)");
    }
    auto value = [&]() -> std::string {
      if (inlineValue) {
        return *inlineValue;
      }
      if (i >= args.size()) {
        throw UsageError("option " + option + " needs a value");
      }
      return args[i++];
    };
    if (option == "--help" || option == "-h") {
      parsed.help = true;
    } else if (option == "-f" || option == "--file") {
      parsed.manifestPath = value();
    } else if (option == "--database-url") {
      parsed.databaseUrl = value();
    } else if (option == "--until") {
      parsed.until = value();
    } else if (option == "--expect-plan-hash") {
      parsed.expectPlanHash = value();
      if (parsed.expectPlanHash->empty()) {
        throw UsageError("--expect-plan-hash needs the plan's hash (`tenantshift plan -o json`)");
      }
    } else if (option == "--scenario") {
      parsed.scenario = value();
    } else if (option == "--allow-data-loss") {
      parsed.allowDataLoss = true;
    } else if (option == "--log-level") {
      parsed.logLevel = value();
    } else if (option == kTerminationMessagePath) {
      parsed.terminationMessagePath = value();
    } else if (option == "--kubeconfig") {
      parsed.kubeconfig = value();
    } else if (option == "--context") {
      parsed.context = value();
    } else if (option == "-o" || option == "--output") {
      auto format = value();
      if (format == "json") {
        parsed.output = OutputFormat::Json;
      } else if (format == "text") {
        parsed.output = OutputFormat::Text;
      } else {
        throw UsageError("--output must be text or json, not \"" + format + "\"");
      }
    }
  }
  if (!parsed.help && parsed.command == "phase" && !parsed.phase) {
    throw UsageError(
        "`tenantshift phase` needs the phase to run: schema, backfill, constraints, rls, verify "
        "or flag");
  }
  if (!parsed.help && needsManifest(parsed.command) && parsed.manifestPath.empty()) {
    throw UsageError("`tenantshift " + parsed.command +
                     "` needs -f <migration.yaml> (the TenantMigration manifest)");
  }
  if (!parsed.help && parsed.command == "rollback" && !parsed.scenario) {
    throw UsageError("`tenantshift rollback` needs --scenario flag-off, disable-rls or full");
  }
  return parsed;
}

std::optional<std::string> terminationMessagePathIn(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto [option, inlineValue] = splitOption(args[i]);
    if (option != kTerminationMessagePath) {
      continue;
    }
    if (inlineValue) {
      return inlineValue;
    }
    if (i + 1 < args.size()) {
      return args[i + 1];
    }
  }
  return std::nullopt;
}

std::string resolveDatabaseUrl(const Arguments& arguments) {
  if (arguments.databaseUrl) {
    return *arguments.databaseUrl;
  }
  for (const char* name : {"TENANTSHIFT_DATABASE_URL", "DATABASE_URL"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      return value;
    }
  }
  throw UsageError(
      "no database given: pass --database-url or set TENANTSHIFT_DATABASE_URL (or DATABASE_URL); "
      "the environment keeps the password out of the process list");
}

}  // namespace tenantshift::cli
