#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "engine/outcome.h"
#include "engine/plan_progress.h"
#include "plan/step.h"

namespace tenantshift::cli {

// How a command ended, for the termination message a Kubernetes Job leaves behind (and the
// output of `phase -o json`): the operator reads this, never the logs.
struct CommandSummary {
  engine::Outcome outcome = engine::Outcome::Completed;
  std::string command;  // "phase", "run", "verify", "rollback", ...
  std::optional<plan::Phase> phase;
  std::string migration;  // metadata.name; "" when the manifest could not be read
  std::string message;    // what happened, and what to do when it is not Completed
  std::optional<engine::PlanProgress> progress;  // absent when the database could not tell
};

// Kubernetes keeps at most this much of a termination message.
inline constexpr std::size_t kTerminationMessageLimit = 4096;

// The summary as one JSON object of at most `limit` bytes:
//   {"outcome":"completed","exitCode":0,"command":"phase","phase":"backfill","migration":"m",
//    "message":"...","planHash":"...","steps":{"done":N,"total":M},
//    "phaseSteps":{"done":n,"total":m}}
// ("phase" and "phaseSteps" only for a phase; "planHash", "steps" and "phaseSteps" only with a
// progress). `message` is shortened (at a UTF-8 boundary, ending in "...") until the whole fits,
// so the text is always valid JSON. The database URL (as given or redacted) and its password
// never appear: they are replaced wherever they occur.
std::string summaryJson(const CommandSummary& summary, const std::string& databaseUrl,
                        std::size_t limit = kTerminationMessageLimit);

// Writes `json` to `path` (replacing what is there). A failure is logged, never thrown: the
// command's outcome stays what it was.
void writeTerminationMessage(const std::string& path, const std::string& json);

}  // namespace tenantshift::cli
