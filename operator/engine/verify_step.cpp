#include "engine/verify_step.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "engine/engine.h"
#include "engine/step_executor.h"
#include "engine/verify_failed_error.h"
#include "verify/fingerprint.h"
#include "verify/verifier.h"

namespace tenantshift::engine {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t millisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string failureSummary(const verify::VerifyReport& report) {
  std::string summary =
      std::to_string(report.count(verify::CheckOutcome::Failed)) + " check(s) failed";
  int shown = 0;
  for (const auto& check : report.checks) {
    if (check.outcome != verify::CheckOutcome::Failed) {
      continue;
    }
    if (shown++ == 5) {
      summary += "; ...";
      break;
    }
    summary += "; " + check.check + (check.table.empty() ? "" : " on " + check.table) + ": " +
               check.detail;
  }
  return summary;
}

}  // namespace

verify::VerifyOptions verifyOptionsFor(const ExecutionSettings& settings) {
  verify::VerifyOptions options;
  options.retry = settings.retry;
  options.sleep = [&settings](std::chrono::milliseconds wait) { settings.sleepFor(wait); };
  options.random = [&settings] { return settings.unitRandom(); };
  return options;
}

VerificationRecord verificationOf(const nlohmann::json& report) {
  VerificationRecord out;
  out.passed = report.value("passed", false);
  out.isolated = report.value("isolated", false);
  out.strict = report.value("strict", false);
  out.fingerprint = report.value("fingerprint", std::string());
  for (const auto& exposure : report.value("unacceptedExposures", nlohmann::json::array())) {
    const std::string table = exposure.value("table", std::string());
    out.unacceptedExposures.push_back(exposure.value("check", std::string()) +
                                      (table.empty() ? "" : " on " + table));
  }
  return out;
}

verify::VerifyReport VerifyStep::run(const plan::Step& step, bool strict) {
  const auto start = Clock::now();
  StepExecutor executor(session_, ledger_, settings_, observer_);
  verify::VerifyReport report;
  try {
    {
      pqxx::work tx(session_.connection());
      ledger_.markRunning(tx, step.id, true);
      tx.commit();
    }
    // The verifier retries its own units; a lost connection is retried here.
    const verify::VerifyOptions options = verifyOptionsFor(settings_);
    runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
      report = verify::verifyMigration(connection, {spec_, before_, plan_, baselineCounts_, strict},
                                       options);
    });
  } catch (const pqxx::failure& error) {
    const std::string message = stepFailureMessage(step, error, settings_);
    executor.recordFailure(step, message, millisSince(start));
    throw EngineError(message, outcomeOfDatabaseFailure(error));
  }
  nlohmann::json json = report.toJson();
  json["strict"] = strict;
  pqxx::work tx(session_.connection());
  ledger_.setReport(tx, step.id, json);
  if (!report.passed()) {
    const std::string message =
        "step " + step.id + " failed: verification " + failureSummary(report) +
        "; fix what the report shows (the full report is in tenantshift.step.report and from "
        "`tenantshift verify`), then run again";
    ledger_.markFailed(tx, step.id, message, millisSince(start));
    tx.commit();
    observer_.stepFailed(step, message);
    throw VerifyFailedError(message, report);
  }
  ledger_.markDone(tx, step.id, 0, millisSince(start));
  tx.commit();
  spdlog::info("step done id={} strict={} checks={} unaccepted_exposures={} accepted={}", step.id,
               strict, report.checks.size(), report.unacceptedExposures().size(),
               report.accepted().size());
  return report;
}

std::optional<VerificationRecord> VerifyStep::recorded(const plan::Step& step) {
  pqxx::read_transaction tx(session_.connection());
  const auto report = ledger_.report(tx, step.id);
  if (!report) {
    return std::nullopt;
  }
  return verificationOf(*report);
}

bool VerifyStep::stillHolds(const plan::Step& step) {
  const auto record = recorded(step);
  if (!record || record->fingerprint.empty()) {
    return false;
  }
  const std::string now =
      verify::schemaFingerprint(session_.connection(), verify::fingerprintScope(spec_, plan_));
  if (now != record->fingerprint) {
    spdlog::info(
        "verification of {} no longer holds: the schema changed since (fingerprint {} "
        "recorded, {} now)",
        step.id, record->fingerprint, now);
    return false;
  }
  return true;
}

}  // namespace tenantshift::engine
