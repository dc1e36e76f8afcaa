#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include "engine/outcome.h"

namespace tenantshift::engine {

// An operational failure the user must act on (another runner holds the lock, a step failed,
// a rollback would lose data, the plan changed under a half-done migration), with the outcome
// it means for the command. The message says what happened and what to do; it never contains a
// password.
class EngineError : public std::runtime_error {
 public:
  explicit EngineError(const std::string& message, Outcome outcome = Outcome::Failed)
      : std::runtime_error(message), outcome_(outcome) {}
  Outcome outcome() const { return outcome_; }

 private:
  Outcome outcome_;
};

// The outcome of a command that ended with `error`: an EngineError's own; a lost or refused
// database connection is DatabaseUnreachable; anything else Failed.
Outcome outcomeOf(const std::exception& error);

// The outcome of a step or read that failed with the database error `error` after its retries:
// DatabaseUnreachable when the connection kept breaking, else Failed.
Outcome outcomeOfDatabaseFailure(const std::exception& error);

}  // namespace tenantshift::engine
