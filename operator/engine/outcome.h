#pragma once

#include <optional>
#include <string_view>

namespace tenantshift::engine {

// How a command ended. The process exits with the value, and the termination message names it
// with toString: the operator decides what to do next from it, never from the logs.
enum class Outcome {
  Completed = 0,             // done (or nothing was left to do)
  Failed = 1,                // the operation failed; the message says why and what to do
  InvalidInput = 2,          // bad command line or manifest; nothing was changed
  Paused = 3,                // stopped by SIGTERM/SIGINT at a safe point; run it again to resume
  LockHeld = 4,              // another runner holds the runner lock
  PrerequisitesMissing = 5,  // an earlier phase is not done
  PlanDrift = 6,             // the plan changed under a half-done migration
  VerifyFailed = 7,          // the isolation verification failed
  DataLossRefused = 8,       // a full rollback would lose tenant assignments
  DatabaseUnreachable = 9,   // the database could not be reached (or the connection was lost)
};

// "completed", "failed", "invalid-input", "paused", "lock-held", "prerequisites-missing",
// "plan-drift", "verify-failed", "data-loss-refused", "database-unreachable".
std::string_view toString(Outcome outcome);
std::optional<Outcome> outcomeFromString(std::string_view text);

// The process's exit status for `outcome`: its value.
int exitCode(Outcome outcome);

}  // namespace tenantshift::engine
