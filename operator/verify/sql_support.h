#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/application_search_path.h"
#include "plan/sql_identifier.h"
#include "verify/probe_checks.h"

namespace tenantshift::verify {

// Thrown by a unit that found every row it could probe locked by other sessions: retried like
// a lock timeout.
class BlockedByOtherSessions : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The first line of a database error with its SQLSTATE: "permission denied ... (SQLSTATE 42501)".
std::string errorText(const std::exception& error);

// Lock timeouts, deadlocks and serialization failures: the unit is retried.
bool isContention(const std::exception& error);

void setLockTimeout(pqxx::transaction_base& tx, std::chrono::milliseconds lockTimeout);

// A JSON array of strings, bound as one parameter ($n::json).
std::string jsonList(const std::vector<std::string>& items);
std::vector<std::string> parseJsonList(const pqxx::field& field);
std::optional<std::string> optionalText(const pqxx::field& field);

// A savepoint on `tx`, rolled back unless released. Plain SQL through exec_params, so that a
// failed statement inside it leaves `tx` usable once it is rolled back.
class Savepoint {
 public:
  explicit Savepoint(pqxx::transaction_base& tx);
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint();

  void release();
  void rollback();

 private:
  pqxx::transaction_base& tx_;
  std::string name_;
  bool done_ = false;
};

// The SQLSTATE of a libpqxx failure (db::sqlStateOf).
std::string sqlStateOfError(const std::exception& error);

// Runs `statement` in a savepoint of its own, always rolled back: an error becomes the result
// (the transaction stays usable), except contention and a lost connection, which end the unit.
template <typename Statement>
StatementResult attempt(pqxx::transaction_base& tx, Statement&& statement) {
  StatementResult out;
  out.ran = true;
  Savepoint savepoint(tx);
  try {
    out.affected = statement(tx);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const pqxx::failure& error) {
    if (isContention(error)) {
      throw;
    }
    savepoint.rollback();
    out.sqlstate = sqlStateOfError(error);
    out.error = errorText(error);
    return out;
  }
  savepoint.rollback();
  return out;
}

// SET LOCAL ROLE to the app role, the application's search_path (db::useApplicationSearchPath) and
// the tenant setting to `tenant` (unchanged when nullopt), in
// a savepoint that `body` runs inside and that is always rolled back: the role, the setting and
// whatever the body changed end with it.
template <typename Body>
void asApp(pqxx::transaction_base& tx, const std::string& appRole, const std::string& setting,
           const std::optional<std::string>& tenant, Body&& body) {
  Savepoint savepoint(tx);
  // The application's statements fire its triggers, which name its tables as it does.
  db::useApplicationSearchPath(tx);
  tx.exec_params("SET LOCAL ROLE " + plan::quoteIdent(appRole));
  if (tenant) {
    tx.exec_params("SELECT set_config($1, $2, true)", setting, *tenant);
  }
  body(tx);
  savepoint.rollback();
}

}  // namespace tenantshift::verify
