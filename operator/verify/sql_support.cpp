#include "verify/sql_support.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "db/failure.h"

namespace tenantshift::verify {

std::string errorText(const std::exception& error) {
  std::string text = db::firstLine(error.what());
  const std::string state = db::sqlStateOf(error);
  if (!state.empty()) {
    text += " (SQLSTATE " + state + ")";
  }
  return text;
}

std::string sqlStateOfError(const std::exception& error) {
  return db::sqlStateOf(error);
}

bool isContention(const std::exception& error) {
  return dynamic_cast<const BlockedByOtherSessions*>(&error) != nullptr ||
         db::classifyFailure(error) == db::FailureKind::Contention;
}

void setLockTimeout(pqxx::transaction_base& tx, std::chrono::milliseconds lockTimeout) {
  tx.exec_params("SELECT set_config('lock_timeout', $1, true)",
                 std::to_string(lockTimeout.count()) + "ms");
}

std::string jsonList(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

std::vector<std::string> parseJsonList(const pqxx::field& field) {
  if (field.is_null()) {
    return {};
  }
  return nlohmann::json::parse(field.c_str()).get<std::vector<std::string>>();
}

std::optional<std::string> optionalText(const pqxx::field& field) {
  if (field.is_null()) {
    return std::nullopt;
  }
  return field.as<std::string>();
}

Savepoint::Savepoint(pqxx::transaction_base& tx) : tx_(tx) {
  static std::atomic<unsigned> counter{0};
  name_ = "tenantshift_verify_" + std::to_string(++counter);
  tx_.exec_params("SAVEPOINT " + name_);
}

Savepoint::~Savepoint() {
  if (done_) {
    return;
  }
  try {
    rollback();
  } catch (const std::exception& error) {
    // The transaction is aborted or the connection gone: the enclosing unit ends with the error
    // that caused this, and its transaction is rolled back as a whole.
    spdlog::debug("verify savepoint not rolled back name={} error={}", name_, error.what());
  }
}

void Savepoint::release() {
  done_ = true;
  tx_.exec_params("RELEASE SAVEPOINT " + name_);
}

void Savepoint::rollback() {
  done_ = true;
  tx_.exec_params("ROLLBACK TO SAVEPOINT " + name_);
  tx_.exec_params("RELEASE SAVEPOINT " + name_);
}

}  // namespace tenantshift::verify
