#pragma once

#include <exception>
#include <string>

namespace tenantshift::db {

// What a database failure means for the work that hit it.
enum class FailureKind {
  Fatal,           // the SQL itself is wrong or the data does not allow it: do not retry
  Contention,      // lock_not_available, deadlock_detected, serialization_failure: retry
  ConnectionLost,  // broken connection: reconnect, then retry
  InDoubt,         // the commit may or may not have happened: consult the ledger, then retry
};

// Classifies an exception thrown while running SQL (libpqxx types and SQLSTATEs).
FailureKind classifyFailure(const std::exception& error);

// The SQLSTATE of a libpqxx error, or "" when it has none. libpqxx 6 throws some errors without
// their SQLSTATE (insufficient_privilege has an empty sqlstate(); serialization_failure,
// deadlock_detected and statement_completion_unknown are not even sql_errors): those are
// recognised by type.
std::string sqlStateOf(const std::exception& error);

// The first line of an error message (PostgreSQL messages end with a newline and may carry
// LINE/HINT lines that are noise in a log line).
std::string firstLine(const std::string& message);

}  // namespace tenantshift::db
