#include "cli/phase_command.h"

#include "engine/verify_failed_error.h"
#include "engine/verify_report_format.h"

namespace tenantshift::cli {

namespace {

// What the flag phase's final (strict) verification says, after "phase flag done".
std::string verdictOf(const engine::RunResult& result) {
  if (!result.verification) {
    return " Enforced, but never verified.";
  }
  if (result.verification->isolated) {
    return " Every table is tenant-scoped, verified and enforced.";
  }
  return " Enforced, and verify passed, but with " +
         std::to_string(result.verification->unacceptedExposures.size()) +
         " unaccepted exposure(s): `tenantshift verify` shows each with what to do.";
}

std::string messageFor(plan::Phase phase, const engine::RunResult& result) {
  const std::string name(plan::toString(phase));
  std::string message = result.stepsExecuted == 0
                            ? "phase " + name + " was done already; nothing to do."
                            : "phase " + name + " done (" + std::to_string(result.stepsExecuted) +
                                  " step" + (result.stepsExecuted == 1 ? "" : "s") + " run).";
  if (phase == plan::Phase::Flag) {
    message += verdictOf(result);
  }
  return message;
}

}  // namespace

CommandResult runPhase(engine::Engine& engine, const api::TenantMigration& migration,
                       plan::Phase phase, const engine::StopRequest& stop,
                       const Arguments& arguments, std::ostream& out) {
  engine::RunOptions options;
  options.only = phase;
  options.stop = &stop;
  options.expectPlanHash = arguments.expectPlanHash;
  engine::RunResult result;
  try {
    result = engine.run(options);
  } catch (const engine::VerifyFailedError& failure) {
    // The phase stops at verify: people see the whole report (it is in the ledger too).
    if (arguments.output == OutputFormat::Text) {
      out << engine::formatReport(failure.report());
    }
    throw;
  }
  CommandResult done{engine::Outcome::Completed, messageFor(phase, result)};
  if (arguments.output == OutputFormat::Text) {
    out << "Migration " << migration.metadata.name << ": " << done.message << "\n";
  }
  return done;
}

}  // namespace tenantshift::cli
