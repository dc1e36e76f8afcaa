#pragma once

#include <chrono>
#include <exception>
#include <string>

namespace tenantshift::engine {

// How long to wait before retrying a statement that could not get its lock (or lost a deadlock,
// or its connection): exponential backoff with jitter, bounded by a number of retries. Pure.
struct RetryPolicy {
  std::chrono::milliseconds initialDelay{100};
  std::chrono::milliseconds maxDelay{5000};
  int retries = 30;  // retries after the first attempt; 0: try once

  // The wait before retry number `retry` (1-based): initialDelay * 2^(retry-1), capped at
  // maxDelay, then scaled by a jitter factor in [0.5, 1.0] taken from `unitRandom` in [0, 1).
  std::chrono::milliseconds delayBefore(int retry, double unitRandom) const;
};

// What a failure means for the step that hit it.
enum class FailureKind {
  Fatal,           // the SQL itself is wrong or the data does not allow it: do not retry
  Contention,      // lock_not_available, deadlock_detected, serialization_failure: retry
  ConnectionLost,  // broken connection: reconnect, then retry
  InDoubt,         // the commit may or may not have happened: consult the ledger, then retry
};

// Classifies an exception thrown while running a step's SQL (libpqxx types and SQLSTATEs).
FailureKind classifyFailure(const std::exception& error);

// The SQLSTATE of a libpqxx sql_error, or "" for anything else.
std::string sqlStateOf(const std::exception& error);

// The first line of an error message (PostgreSQL messages end with a newline and may carry
// LINE/HINT lines that are noise in a log line).
std::string firstLine(const std::string& message);

}  // namespace tenantshift::engine
