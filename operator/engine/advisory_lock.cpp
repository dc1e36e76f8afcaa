#include "engine/advisory_lock.h"

#include <spdlog/spdlog.h>

#include "db/connection.h"
#include "engine/engine.h"

namespace tenantshift::engine {

std::unique_ptr<AdvisoryLock> AdvisoryLock::acquire(const std::string& databaseUrl) {
  auto connection = db::connect(databaseUrl);
  pqxx::nontransaction tx(*connection);
  const bool acquired =
      tx.exec_params1("SELECT pg_try_advisory_lock($1::bigint)", std::to_string(kKey))[0]
          .as<bool>();
  if (!acquired) {
    const pqxx::result holder = tx.exec_params(
        "SELECT pid, coalesce(application_name, ''), coalesce(client_addr::text, 'local') "
        "FROM pg_locks JOIN pg_stat_activity USING (pid) "
        "WHERE locktype = 'advisory' AND granted "
        "AND ((classid::bigint << 32) | objid::bigint) = $1::bigint",
        std::to_string(kKey));
    std::string who = "held by another session";
    if (!holder.empty()) {
      who = "held by pid " + holder[0][0].as<std::string>() + " (" +
            holder[0][1].as<std::string>() + ", " + holder[0][2].as<std::string>() + ")";
    }
    throw EngineError("another tenantshift runner is working on this database (advisory lock " +
                      std::to_string(kKey) + " " + who +
                      "); wait for it to finish or stop it, then run again");
  }
  tx.commit();
  spdlog::info("advisory lock acquired key={}", kKey);
  return std::unique_ptr<AdvisoryLock>(new AdvisoryLock(std::move(connection)));
}

AdvisoryLock::AdvisoryLock(std::unique_ptr<pqxx::connection> connection)
    : connection_(std::move(connection)) {}

AdvisoryLock::~AdvisoryLock() {
  try {
    pqxx::nontransaction tx(*connection_);
    tx.exec_params("SELECT pg_advisory_unlock($1::bigint)", std::to_string(kKey));
    spdlog::info("advisory lock released key={}", kKey);
  } catch (const std::exception& error) {
    // Closing the connection below releases a session lock anyway.
    spdlog::warn("advisory lock release failed, closing its connection instead: {}", error.what());
  }
}

void AdvisoryLock::ensureHeld() {
  try {
    pqxx::nontransaction tx(*connection_);
    tx.exec("SELECT 1");
  } catch (const std::exception& error) {
    throw EngineError("lost the connection that holds the tenantshift advisory lock (" +
                      std::string(error.what()) +
                      "); stopped so that two runners never work at once: run again to resume");
  }
}

}  // namespace tenantshift::engine
