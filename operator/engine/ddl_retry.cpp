#include "engine/ddl_retry.h"

#include <algorithm>
#include <pqxx/pqxx>

namespace tenantshift::engine {

std::chrono::milliseconds RetryPolicy::delayBefore(int retry, double unitRandom) const {
  const int exponent = std::clamp(retry - 1, 0, 30);
  const double base =
      static_cast<double>(initialDelay.count()) * static_cast<double>(1LL << exponent);
  const double capped = std::min(base, static_cast<double>(maxDelay.count()));
  const double jitter = 0.5 + 0.5 * std::clamp(unitRandom, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped * jitter));
}

std::string sqlStateOf(const std::exception& error) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    return sql->sqlstate();
  }
  return "";
}

FailureKind classifyFailure(const std::exception& error) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    return FailureKind::InDoubt;
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    return FailureKind::ConnectionLost;
  }
  // libpqxx 6 throws these as transaction_rollback subclasses, which are not sql_errors and so
  // carry no SQLSTATE: recognise them by type.
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

}  // namespace tenantshift::engine
