#include "engine/runner_lock.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>

#include "db/connection.h"
#include "engine/ddl_retry.h"
#include "engine/engine.h"

namespace tenantshift::engine {

namespace {

// The holder and whether its lock connection still exists.
constexpr const char* kHolder = R"sql(
  SELECT l.runner_id, l.holder_pid, l.migration, l.command,
         coalesce(to_json(l.acquired_at) #>> '{}', ''),
         EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                  WHERE a.pid = l.holder_pid AND a.backend_start = l.holder_backend_start)
    FROM tenantshift.runner_lock l WHERE l.name = 'runner' FOR UPDATE
)sql";

}  // namespace

std::string newRunnerId() {
  std::random_device random;
  char out[33];
  std::snprintf(out, sizeof out, "%08x%08x%08x%08x", random(), random(), random(), random());
  return out;
}

std::unique_ptr<RunnerLock> RunnerLock::acquire(const std::string& databaseUrl,
                                                const std::string& migration,
                                                const std::string& command) {
  auto connection = db::connect(databaseUrl);
  const std::string runnerId = newRunnerId();
  pqxx::work tx(*connection, "tenantshift-runner-lock");
  // Only other runners take this row lock, each for a moment: a bounded wait is enough.
  tx.exec0("SET LOCAL lock_timeout = '5s'");
  tx.exec0("INSERT INTO tenantshift.runner_lock (name) VALUES ('runner') ON CONFLICT DO NOTHING");
  const pqxx::row holder = tx.exec1(kHolder);
  if (!holder[0].is_null() && holder[5].as<bool>()) {
    throw EngineError("another tenantshift runner is working on this database (runner " +
                          holder[0].as<std::string>() + ", `" + holder[3].c_str() +
                          "` of migration " + holder[2].c_str() + " since " + holder[4].c_str() +
                          ", backend pid " + holder[1].c_str() +
                          "); wait for it to finish or stop it (its lock is released as soon as "
                          "its process is gone), then run again",
                      Outcome::LockHeld);
  }
  if (!holder[0].is_null()) {
    spdlog::warn("runner lock taken over from runner {} (its connection is gone)",
                 holder[0].as<std::string>());
  }
  tx.exec_params(
      "UPDATE tenantshift.runner_lock SET runner_id = $1, holder_pid = pg_backend_pid(), "
      "holder_backend_start = (SELECT backend_start FROM pg_catalog.pg_stat_activity "
      "WHERE pid = pg_backend_pid()), migration = $2, command = $3, acquired_at = now(), "
      "heartbeat_at = now() WHERE name = 'runner'",
      runnerId, migration, command);
  tx.commit();
  spdlog::info("runner lock acquired runner={} command={} migration={}", runnerId, command,
               migration);
  return std::unique_ptr<RunnerLock>(new RunnerLock(std::move(connection), runnerId));
}

RunnerLock::RunnerLock(std::unique_ptr<pqxx::connection> connection, std::string runnerId)
    : connection_(std::move(connection)), runnerId_(std::move(runnerId)) {}

RunnerLock::~RunnerLock() {
  try {
    pqxx::work tx(*connection_);
    tx.exec_params(
        "UPDATE tenantshift.runner_lock SET runner_id = NULL, holder_pid = NULL, "
        "holder_backend_start = NULL, migration = NULL, command = NULL, acquired_at = NULL, "
        "heartbeat_at = now() WHERE name = 'runner' AND runner_id = $1",
        runnerId_);
    tx.commit();
    spdlog::info("runner lock released runner={}", runnerId_);
  } catch (const std::exception& error) {
    // The lock dies with its connection anyway (closed below).
    spdlog::warn("runner lock release failed, closing its connection instead: {}",
                 firstLine(error.what()));
  }
}

void RunnerLock::ensureHeld() {
  bool held = false;
  try {
    pqxx::work tx(*connection_);
    held = !tx.exec_params(
                  "UPDATE tenantshift.runner_lock SET heartbeat_at = now() "
                  "WHERE name = 'runner' AND runner_id = $1 AND holder_pid = "
                  "pg_backend_pid() RETURNING 1",
                  runnerId_)
                .empty();
    tx.commit();
  } catch (const std::exception& error) {
    throw EngineError("lost the connection that holds the tenantshift runner lock (" +
                          firstLine(error.what()) +
                          "); stopped so that two runners never work at once: run again to resume",
                      Outcome::DatabaseUnreachable);
  }
  if (!held) {
    throw EngineError(
        "another tenantshift runner holds the runner lock now; stopped so that two "
        "runners never work at once: run again to resume once it has finished",
        Outcome::LockHeld);
  }
}

}  // namespace tenantshift::engine
