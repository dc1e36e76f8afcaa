#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace tenantshift::engine {

// The lock that keeps two runners (CLI or operator Jobs) from acting on one database at once: the
// row tenantshift.runner_lock, held by this object's own connection for as long as it lives.
// The application role has no privilege on the ledger, so it can neither see nor take the lock;
// no transaction stays open while it is held (it would hold back vacuum); a runner that was
// killed loses it as soon as its connection is gone. Create the ledger (Ledger::ensureSchema)
// before acquiring.
class RunnerLock {
 public:
  // Opens a dedicated connection and takes the lock for `command` ("run", "rollback", ...) of
  // `migration`; throws EngineError naming the holder (runner id, command, migration, since when,
  // backend pid) when a live runner holds it. Never waits for it.
  static std::unique_ptr<RunnerLock> acquire(const std::string& databaseUrl,
                                             const std::string& migration,
                                             const std::string& command);

  ~RunnerLock();
  RunnerLock(const RunnerLock&) = delete;
  RunnerLock& operator=(const RunnerLock&) = delete;

  const std::string& runnerId() const { return runnerId_; }

  // Records a heartbeat; throws EngineError when the lock's connection was lost (the lock with
  // it) or another runner holds the lock now: the caller must stop.
  void ensureHeld();

 private:
  RunnerLock(std::unique_ptr<pqxx::connection> connection, std::string runnerId);

  std::unique_ptr<pqxx::connection> connection_;
  std::string runnerId_;
};

// A new runner id: 128 random bits as hex.
std::string newRunnerId();

}  // namespace tenantshift::engine
