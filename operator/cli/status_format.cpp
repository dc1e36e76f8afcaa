#include "cli/status_format.h"

#include <iomanip>
#include <map>
#include <sstream>

#include "cli/progress_text.h"

namespace tenantshift::cli {

namespace {

// What a person reads for the step's state: a running step whose runner is gone was interrupted.
std::string stateText(const engine::StepStatus& step) {
  if (step.runnerGone) {
    return "interrupted (runner gone)";
  }
  return std::string(engine::toString(step.state));
}

}  // namespace

std::string formatStatus(const engine::MigrationStatus& status) {
  std::ostringstream out;
  if (!status.started) {
    out << "Migration " << status.name
        << " has not started on this database (no ledger record). Run `tenantshift plan` to see "
           "what it would do.\n";
    return out.str();
  }
  std::map<std::string, int> counts;
  for (const auto& step : status.steps) {
    ++counts[step.runnerGone ? "interrupted" : std::string(engine::toString(step.state))];
  }
  out << "Migration " << status.name << " (spec " << status.specHash << "), started "
      << status.startedAt << ", updated " << status.updatedAt << "\n";
  out << "Steps: " << status.steps.size() << " total";
  for (const auto& [state, count] : counts) {
    out << ", " << count << " " << state;
  }
  out << "\n";
  std::string phase;
  for (const auto& step : status.steps) {
    if (step.phase != phase) {
      phase = step.phase;
      out << "\n== " << phase << "\n";
    }
    out << "  " << std::left << std::setw(12) << stateText(step) << " " << step.id;
    if (step.rows > 0) {
      out << "  rows=" << step.rows;
    }
    if (step.attempts > 1) {
      out << "  attempts=" << step.attempts;
    }
    if (step.durationMs > 0) {
      out << "  " << step.durationMs << " ms";
    }
    out << "\n";
    if (!step.error.empty()) {
      out << "      error: " << step.error << "\n";
    }
  }
  if (!status.cursors.empty()) {
    out << "\nBackfill cursors:\n";
    for (const auto& cursor : status.cursors) {
      out << "  " << cursor.table << ": " << cursor.rowsDone << " rows, "
          << (cursor.finished ? "finished" : "in progress");
      if (!cursor.lastKey.empty()) {
        out << ", last key (";
        for (std::size_t i = 0; i < cursor.lastKey.size(); ++i) {
          out << (i == 0 ? "" : ", ") << cursor.lastKey[i];
        }
        out << ")";
      }
      out << "\n";
      if (cursor.progress) {
        const engine::BackfillProgress& progress = *cursor.progress;
        out << "      " << rowsText(progress) << " covered, " << rateText(progress.rowsPerSecond)
            << ", " << etaText(progress);
        if (!cursor.finished) {
          out << ", "
              << (progress.sweeping ? "sweeping" : "batch " + std::to_string(progress.batchSize))
              << ", pause " << progress.pause.count() << " ms";
        }
        out << " (updated " << progress.updatedAt << ")\n";
        if (!cursor.finished) {
          out << "      throttle " << analysis::toString(progress.state) << ": " << progress.reason
              << "\n";
        }
        if (progress.baseline) {
          out << "      latency baseline " << progress.baseline->describe() << "\n";
        }
      }
    }
  }
  return out.str();
}

nlohmann::json statusToJson(const engine::MigrationStatus& status) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : status.steps) {
    steps.push_back({{"id", step.id},
                     {"phase", step.phase},
                     {"state", engine::toString(step.state)},
                     {"runnerGone", step.runnerGone},
                     {"rows", step.rows},
                     {"attempts", step.attempts},
                     {"startedAt", step.startedAt},
                     {"finishedAt", step.finishedAt},
                     {"durationMs", step.durationMs},
                     {"error", step.error}});
  }
  nlohmann::json cursors = nlohmann::json::array();
  for (const auto& cursor : status.cursors) {
    nlohmann::json entry = {{"table", cursor.table},
                            {"lastKey", cursor.lastKey},
                            {"rowsDone", cursor.rowsDone},
                            {"finished", cursor.finished}};
    if (cursor.progress) {
      const engine::BackfillProgress& progress = *cursor.progress;
      nlohmann::json p = {
          {"rowsScanned", progress.rowsScanned},
          {"rowsDone", progress.rowsUpdated},
          {"estimatedTotal", progress.estimatedTotal},
          {"rowsPerSecond", progress.rowsPerSecond},
          {"etaSeconds",
           progress.eta ? nlohmann::json(progress.eta->count()) : nlohmann::json(nullptr)},
          {"batchSize", progress.batchSize},
          {"pauseMs", progress.pause.count()},
          {"sweeping", progress.sweeping},
          {"throttle",
           {{"state", analysis::toString(progress.state)}, {"reason", progress.reason}}},
          {"updatedAt", progress.updatedAt}};
      if (progress.baseline) {
        p["latencyBaseline"] = {{"p50Ms", progress.baseline->p50},
                                {"p99Ms", progress.baseline->p99},
                                {"samples", progress.baseline->samples}};
      }
      entry["progress"] = std::move(p);
    }
    cursors.push_back(std::move(entry));
  }
  return {{"name", status.name},
          {"started", status.started},
          {"specHash", status.specHash},
          {"startedAt", status.startedAt},
          {"updatedAt", status.updatedAt},
          {"steps", steps},
          {"cursors", cursors}};
}

}  // namespace tenantshift::cli
