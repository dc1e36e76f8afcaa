#pragma once

#include <cstdint>
#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace tenantshift::engine {

// The session-level advisory lock that keeps two runners (CLI or operator Jobs) from acting on
// one database at once. Held on its own connection for as long as this object lives; released
// when it is destroyed (or, if the process dies, when PostgreSQL notices the session is gone).
class AdvisoryLock {
 public:
  // "tenantsh" in ASCII: the key every tenantshift runner locks, whatever the migration.
  static constexpr std::int64_t kKey = 0x74656e616e747368LL;

  // Opens a dedicated connection and tries the lock once; throws EngineError when another
  // session holds it (never waits: a second runner is refused, not queued).
  static std::unique_ptr<AdvisoryLock> acquire(const std::string& databaseUrl);

  ~AdvisoryLock();
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

  // Throws EngineError when the lock's connection was lost (the lock with it): the caller must
  // stop, since another runner may now hold the lock.
  void ensureHeld();

 private:
  explicit AdvisoryLock(std::unique_ptr<pqxx::connection> connection);
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace tenantshift::engine
