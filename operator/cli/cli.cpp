#include "cli/cli.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <limits>
#include <memory>

#include "api/spec_error.h"
#include "api/spec_parser.h"
#include "cli/arguments.h"
#include "cli/command_result.h"
#include "cli/command_summary.h"
#include "cli/help.h"
#include "cli/line_progress.h"
#include "cli/phase_command.h"
#include "cli/plan_format.h"
#include "cli/status_format.h"
#include "cli/stop_signals.h"
#include "cli/terminal_progress.h"
#include "cli/version.h"
#include "controller/operator_command.h"
#include "db/connection.h"
#include "db/failure.h"
#include "engine/engine.h"
#include "engine/verify_failed_error.h"
#include "engine/verify_report_format.h"
#include "flag/kubernetes_flag_switches.h"

namespace tenantshift::cli {

namespace {

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

CommandResult runPlan(engine::Engine& engine, const api::TenantMigration& migration,
                      const Arguments& arguments, std::ostream& out) {
  auto plan = engine.plan();
  if (arguments.output == OutputFormat::Json) {
    out << planToJson(plan).dump(2) << "\n";
  } else {
    out << formatPlan(plan, migration);
  }
  return {engine::Outcome::Completed, "planned " + std::to_string(plan.steps.size()) + " steps"};
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

CommandResult runRun(engine::Engine& engine, const api::TenantMigration& migration,
                     const engine::StopRequest& stop, const Arguments& arguments,
                     std::ostream& out) {
  engine::RunOptions options;
  options.stop = &stop;
  options.expectPlanHash = arguments.expectPlanHash;
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
  std::string outcome = runOutcome(migration.metadata.name, arguments.until, result);
  if (arguments.output == OutputFormat::Json) {
    out << statusToJson(engine.status()).dump(2) << "\n";
  } else {
    out << outcome;
  }
  outcome.pop_back();  // the newline
  return {engine::Outcome::Completed, outcome};
}

CommandResult runVerify(engine::Engine& engine, const Arguments& arguments, std::ostream& out) {
  auto report = engine.verify();
  printReport(report, arguments, out);
  if (!report.passed()) {
    return {engine::Outcome::VerifyFailed,
            "verification failed: " + std::to_string(report.count(verify::CheckOutcome::Failed)) +
                " check(s) failed; `tenantshift verify` shows each with what to do"};
  }
  return {engine::Outcome::Completed, "verification passed"};
}

CommandResult runStatus(engine::Engine& engine, const Arguments& arguments, std::ostream& out) {
  auto status = engine.status();
  if (arguments.output == OutputFormat::Json) {
    out << statusToJson(status).dump(2) << "\n";
  } else {
    out << formatStatus(status);
  }
  return {engine::Outcome::Completed, "status read"};
}

CommandResult runRollback(engine::Engine& engine, const api::TenantMigration& migration,
                          const Arguments& arguments, std::ostream& out) {
  auto scenario = engine::rollbackScenarioFromString(*arguments.scenario);
  if (!scenario) {
    throw UsageError("--scenario must be flag-off, disable-rls or full, not \"" +
                     *arguments.scenario + "\"");
  }
  auto result = engine.rollback(*scenario, arguments.allowDataLoss);
  CommandResult done{engine::Outcome::Completed,
                     "rollback " + std::string(engine::toString(*scenario)) + " undid " +
                         std::to_string(result.undoneSteps.size()) + " step(s)"};
  if (arguments.output == OutputFormat::Json) {
    out << nlohmann::json{{"scenario", engine::toString(*scenario)},
                          {"undoneSteps", result.undoneSteps}}
               .dump(2)
        << "\n";
    return done;
  }
  out << "Rollback " << engine::toString(*scenario) << " of " << migration.metadata.name
      << ": undid " << result.undoneSteps.size() << " step"
      << (result.undoneSteps.size() == 1 ? "" : "s") << ".\n";
  for (const auto& id : result.undoneSteps) {
    out << "  undone " << id << "\n";
  }
  return done;
}

// What a command that ended with `error` means, after telling the user on `err`.
CommandResult failureOf(const std::exception& error, std::ostream& err) {
  if (dynamic_cast<const api::SpecError*>(&error) != nullptr) {
    err << "tenantshift: invalid TenantMigration: " << error.what() << "\nNothing was changed.\n";
    return {engine::Outcome::InvalidInput,
            "invalid TenantMigration: " + std::string(error.what()) + "; nothing was changed"};
  }
  err << "tenantshift: " << error.what() << "\n";
  if (dynamic_cast<const UsageError*>(&error) != nullptr) {
    return {engine::Outcome::InvalidInput, error.what()};
  }
  return {engine::outcomeOf(error), error.what()};
}

CommandResult runCommand(engine::Engine& engine, const api::TenantMigration& migration,
                         const Arguments& arguments, std::ostream& out) {
  if (arguments.command == "plan") {
    return runPlan(engine, migration, arguments, out);
  }
  if (arguments.command == "run") {
    const StopSignals signals;
    return runRun(engine, migration, signals.request(), arguments, out);
  }
  if (arguments.command == "phase") {
    const StopSignals signals;
    return runPhase(engine, migration, *plan::phaseFromString(*arguments.phase), signals.request(),
                    arguments, out);
  }
  if (arguments.command == "verify") {
    return runVerify(engine, arguments, out);
  }
  if (arguments.command == "status") {
    return runStatus(engine, arguments, out);
  }
  return runRollback(engine, migration, arguments, out);
}

// The plan's hash and step counts, for the summary; absent when the database cannot tell.
std::optional<engine::PlanProgress> progressFor(engine::Engine& engine, engine::Outcome outcome) {
  if (outcome == engine::Outcome::DatabaseUnreachable) {
    return std::nullopt;  // asking again would only wait for it again
  }
  try {
    return engine.progress();
  } catch (const std::exception& error) {
    spdlog::warn("the summary goes without the plan's progress: {}", db::firstLine(error.what()));
    return std::nullopt;
  }
}

// Runs the command of `arguments`; `summary` and `databaseUrl` are filled in as they become
// known, so that the caller's termination message has them even when this throws.
void dispatch(const Arguments& arguments, std::ostream& out, std::ostream& err,
              CommandSummary& summary, std::string& databaseUrl) {
  auto migration = api::loadTenantMigration(arguments.manifestPath);
  summary.migration = migration.metadata.name;
  databaseUrl = resolveDatabaseUrl(arguments);
  spdlog::info("command={} migration={} database={}", arguments.command, migration.metadata.name,
               db::redactUrl(databaseUrl));

  std::unique_ptr<engine::RunObserver> observer;
  if (isTerminal(STDOUT_FILENO) && arguments.output == OutputFormat::Text) {
    observer = std::make_unique<TerminalProgress>(out);
  } else {
    observer = std::make_unique<LineProgress>();
  }
  kube::ConfigRequest cluster;
  if (arguments.kubeconfig) {
    cluster.kubeconfig = *arguments.kubeconfig;
  }
  cluster.context = arguments.context;
  engine::Engine engine(databaseUrl, migration, *observer,
                        flag::kubernetesFlagSwitches(std::move(cluster), migration.metadata.ns));

  CommandResult result;
  try {
    result = runCommand(engine, migration, arguments, out);
  } catch (const std::exception& error) {
    result = failureOf(error, err);
  }
  summary.outcome = result.outcome;
  summary.message = result.message;
  const bool phaseJson = arguments.command == "phase" && arguments.output == OutputFormat::Json;
  if (arguments.terminationMessagePath || phaseJson) {
    summary.progress = progressFor(engine, summary.outcome);
  }
  if (phaseJson) {
    out << summaryJson(summary, databaseUrl, std::numeric_limits<std::size_t>::max()) << "\n";
  }
}

}  // namespace

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && args.front() == "operator") {
    // The operator has flags of its own and logs at info on any terminal: it is a server.
    installLogger(spdlog::level::info);
    return controller::runOperator({args.begin() + 1, args.end()}, out, err);
  }
  CommandSummary summary;
  summary.command = args.empty() ? "help" : args.front();
  std::string databaseUrl;  // once known: kept out of the termination message
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
    summary.command = arguments.command;
    if (arguments.phase) {
      summary.phase = plan::phaseFromString(*arguments.phase);
    }
    dispatch(arguments, out, err, summary, databaseUrl);
  } catch (const std::exception& error) {
    const CommandResult failed = failureOf(error, err);
    summary.outcome = failed.outcome;
    summary.message = failed.message;
  }
  // Also for a command line that did not parse: a Job's pod says why it ended.
  if (const auto path = terminationMessagePathIn(args)) {
    writeTerminationMessage(*path, summaryJson(summary, databaseUrl));
  }
  return engine::exitCode(summary.outcome);
}

}  // namespace tenantshift::cli
