#include "db/failure.h"

#include <pqxx/pqxx>

namespace tenantshift::db {

namespace {

// The SQLSTATE libpqxx 6 knows from the exception type when it did not keep the code.
std::string sqlStateFromType(const std::exception& error) {
  if (dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr) {
    return "40001";
  }
  if (dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr) {
    return "40P01";
  }
  if (dynamic_cast<const pqxx::statement_completion_unknown*>(&error) != nullptr) {
    return "40003";
  }
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&error) != nullptr) {
    return "42501";
  }
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&error) != nullptr) {
    return "23503";
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&error) != nullptr) {
    return "23505";
  }
  if (dynamic_cast<const pqxx::not_null_violation*>(&error) != nullptr) {
    return "23502";
  }
  if (dynamic_cast<const pqxx::check_violation*>(&error) != nullptr) {
    return "23514";
  }
  if (dynamic_cast<const pqxx::restrict_violation*>(&error) != nullptr) {
    return "23001";
  }
  return "";
}

}  // namespace

std::string sqlStateOf(const std::exception& error) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    if (!sql->sqlstate().empty()) {
      return sql->sqlstate();
    }
  }
  return sqlStateFromType(error);
}

FailureKind classifyFailure(const std::exception& error) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    return FailureKind::InDoubt;
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    return FailureKind::ConnectionLost;
  }
  // libpqxx 6 throws these as transaction_rollback subclasses, which are not sql_errors: they are
  // recognised by type.
  if (dynamic_cast<const pqxx::statement_completion_unknown*>(&error) != nullptr) {
    return FailureKind::InDoubt;
  }
  if (dynamic_cast<const pqxx::transaction_rollback*>(&error) != nullptr) {
    return FailureKind::Contention;  // serialization_failure, deadlock_detected
  }
  const std::string state = sqlStateOf(error);
  if (state == "55P03" || state == "40P01" || state == "40001") {
    return FailureKind::Contention;
  }
  // 08P01 (protocol violation) on a connection that is still open: the server refused a message
  // tenantshift sent (a statement bound with the wrong number of parameters). Sending it again
  // gets the same answer; it is a bug to report, not a connection to reopen. (A server that
  // closes the connection reports it as lost: pqxx::broken_connection, above.)
  if (state == "08P01") {
    return FailureKind::Fatal;
  }
  // Class 08: connection exceptions reported by the server; 57P01: admin shutdown.
  if (state.rfind("08", 0) == 0 || state == "57P01") {
    return FailureKind::ConnectionLost;
  }
  return FailureKind::Fatal;
}

std::string firstLine(const std::string& message) {
  std::string line = message.substr(0, message.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
    line.pop_back();
  }
  return line;
}

}  // namespace tenantshift::db
