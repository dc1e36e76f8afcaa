#include "cli/cli.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>

#include "api/spec_error.h"
#include "api/spec_parser.h"
#include "cli/arguments.h"
#include "cli/help.h"
#include "cli/line_progress.h"
#include "cli/plan_format.h"
#include "cli/status_format.h"
#include "cli/terminal_progress.h"
#include "cli/version.h"
#include "controller/operator_command.h"
#include "db/connection.h"
#include "engine/engine.h"
#include "engine/verify_failed_error.h"
#include "engine/verify_report_format.h"

namespace tenantshift::cli {

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

bool isTerminal(int fd) {
  return ::isatty(fd) == 1;
}

// Logs go to stderr as structured lines; stdout carries results only.
void installLogger(spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("tenantshift",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(level);
}

void configureLogging(const Arguments& arguments) {
  auto level = isTerminal(STDOUT_FILENO) ? spdlog::level::warn : spdlog::level::info;
  if (arguments.logLevel) {
    level = spdlog::level::from_str(*arguments.logLevel);
    if (level == spdlog::level::off && *arguments.logLevel != "off") {
      throw UsageError("--log-level must be trace, debug, info, warn, error or off, not \"" +
                       *arguments.logLevel + "\"");
    }
  }
  installLogger(level);
}

void printReport(const engine::VerifyReport& report, const Arguments& arguments,
                 std::ostream& out) {
  if (arguments.output == OutputFormat::Json) {
    out << report.toJson().dump(2) << "\n";
  } else {
    out << engine::formatReport(report);
  }
}

int runPlan(engine::Engine& engine, const api::TenantMigration& migration,
            const Arguments& arguments, std::ostream& out) {
  auto plan = engine.plan();
  if (arguments.output == OutputFormat::Json) {
    out << planToJson(plan).dump(2) << "\n";
  } else {
    out << formatPlan(plan, migration);
  }
  return 0;
}

// What `run` says at the end: "verified and enforced" only when the last verification (made for
// the schema as it is now) passed with no unaccepted exposure; otherwise what is left.
std::string runOutcome(const std::string& name, const std::optional<std::string>& until,
                       const engine::RunResult& result) {
  std::string left;
  if (result.verification) {
    for (const auto& exposure : result.verification->unacceptedExposures) {
      left += (left.empty() ? "" : "; ") + exposure;
    }
  }
  const std::string what =
      std::to_string(result.verification ? result.verification->unacceptedExposures.size() : 0) +
      " unaccepted exposure(s) (" + left +
      "): close them or accept them in the spec; `tenantshift verify` shows each with what to do";
  if (until) {
    std::string out = "Migration " + name + ": every step through phase " + *until + " is done.";
    if (result.verification && !result.verification->isolated) {
      out += " Verify passed, with " + what + ".";
    }
    return out + "\n";
  }
  if (result.verification && result.verification->isolated) {
    return "Migration " + name + ": done. Every table is tenant-scoped, verified and enforced.\n";
  }
  if (!result.verification) {
    return "Migration " + name + ": done and enforced, but never verified.\n";
  }
  return "Migration " + name + ": done and enforced, and verify passed, but " + what + ".\n";
}

int runRun(engine::Engine& engine, const api::TenantMigration& migration,
           const Arguments& arguments, std::ostream& out) {
  engine::RunOptions options;
  if (arguments.until) {
    options.until = plan::phaseFromString(*arguments.until);
    if (!options.until) {
      throw UsageError(
          "--until must be one of schema, backfill, constraints, rls, verify, flag; "
          "not \"" +
          *arguments.until + "\"");
    }
  }
  engine::RunResult result;
  try {
    result = engine.run(options);
  } catch (const engine::VerifyFailedError& failure) {
    // The run stops at verify: show the whole report (it is in the ledger too).
    printReport(failure.report(), arguments, out);
    throw;
  }
  if (arguments.output == OutputFormat::Json) {
    out << statusToJson(engine.status()).dump(2) << "\n";
  } else {
    out << runOutcome(migration.metadata.name, arguments.until, result);
  }
  return 0;
}

int runVerify(engine::Engine& engine, const Arguments& arguments, std::ostream& out) {
  auto report = engine.verify();
  printReport(report, arguments, out);
  return report.passed() ? 0 : kExitFailed;
}

int runStatus(engine::Engine& engine, const Arguments& arguments, std::ostream& out) {
  auto status = engine.status();
  if (arguments.output == OutputFormat::Json) {
    out << statusToJson(status).dump(2) << "\n";
  } else {
    out << formatStatus(status);
  }
  return 0;
}

int runRollback(engine::Engine& engine, const api::TenantMigration& migration,
                const Arguments& arguments, std::ostream& out) {
  auto scenario = engine::rollbackScenarioFromString(*arguments.scenario);
  if (!scenario) {
    throw UsageError("--scenario must be flag-off, disable-rls or full, not \"" +
                     *arguments.scenario + "\"");
  }
  auto result = engine.rollback(*scenario, arguments.allowDataLoss);
  if (arguments.output == OutputFormat::Json) {
    out << nlohmann::json{{"scenario", engine::toString(*scenario)},
                          {"undoneSteps", result.undoneSteps}}
               .dump(2)
        << "\n";
    return 0;
  }
  out << "Rollback " << engine::toString(*scenario) << " of " << migration.metadata.name
      << ": undid " << result.undoneSteps.size() << " step"
      << (result.undoneSteps.size() == 1 ? "" : "s") << ".\n";
  for (const auto& id : result.undoneSteps) {
    out << "  undone " << id << "\n";
  }
  return 0;
}

int dispatch(const Arguments& arguments, std::ostream& out) {
  auto migration = api::loadTenantMigration(arguments.manifestPath);
  auto url = resolveDatabaseUrl(arguments);
  spdlog::info("command={} migration={} database={}", arguments.command, migration.metadata.name,
               db::redactUrl(url));

  std::unique_ptr<engine::RunObserver> observer;
  if (isTerminal(STDOUT_FILENO) && arguments.output == OutputFormat::Text) {
    observer = std::make_unique<TerminalProgress>(out);
  } else {
    observer = std::make_unique<LineProgress>();
  }
  engine::Engine engine(url, migration, *observer);

  if (arguments.command == "plan") {
    return runPlan(engine, migration, arguments, out);
  }
  if (arguments.command == "run") {
    return runRun(engine, migration, arguments, out);
  }
  if (arguments.command == "verify") {
    return runVerify(engine, arguments, out);
  }
  if (arguments.command == "status") {
    return runStatus(engine, arguments, out);
  }
  return runRollback(engine, migration, arguments, out);
}

}  // namespace

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && args.front() == "operator") {
    // The operator has flags of its own and logs at info on any terminal: it is a server.
    installLogger(spdlog::level::info);
    return controller::runOperator({args.begin() + 1, args.end()}, out, err);
  }
  try {
    auto arguments = parseArguments(args);
    if (arguments.command == "version") {
      out << versionLine() << "\n";
      return 0;
    }
    if (arguments.command == "help" || arguments.help) {
      out << helpText(arguments.command);
      return 0;
    }
    configureLogging(arguments);
    return dispatch(arguments, out);
  } catch (const UsageError& error) {
    err << "tenantshift: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const api::SpecError& error) {
    err << "tenantshift: invalid TenantMigration: " << error.what() << "\nNothing was changed.\n";
    return kExitBadInput;
  } catch (const engine::EngineError& error) {
    err << "tenantshift: " << error.what() << "\n";
    return kExitFailed;
  } catch (const std::exception& error) {
    err << "tenantshift: " << error.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace tenantshift::cli
