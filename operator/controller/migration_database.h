#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

#include "api/migration_spec.h"
#include "controller/ledger_view.h"
#include "controller/observation.h"
#include "plan/plan.h"

namespace tenantshift::controller {

// The database could not be reached (connection refused, authentication failed, ...).
class DatabaseUnreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The engine refused to plan the migration on this database (a table the spec names is not
// there, ...): nothing was changed. The message names the field where it can.
class PlanRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The seam between the controller and the engine: what the operator reads of the database
// itself (never writes: the phase Jobs do that). Tests substitute a fake.
class MigrationDatabase {
 public:
  virtual ~MigrationDatabase() = default;
  // Plans the migration (from the ledger's schema snapshot once started, else the live schema)
  // and reads what the ledger records of it.
  virtual LedgerView read(const std::string& databaseUrl,
                          const api::TenantMigration& migration) = 0;
};

// The real one: the engine's plan and the ledger, read-only. Each reconcile of a running
// migration reads it, so it keeps what is costly: one connection per database (opened again
// when it breaks), and the outline of a started migration's plan (its hash and step ids), which
// depends only on the spec and the schema snapshot the ledger recorded when it started (made again
// when either changes). Before the first step the plan comes from the live schema and is made on
// every read (a schema change changes it), so nothing of it is kept. Thread-safe: reads of
// different databases run at once, of one database in turn.
class EngineMigrationDatabase final : public MigrationDatabase {
 public:
  LedgerView read(const std::string& databaseUrl, const api::TenantMigration& migration) override;

  // For tests and logs: plans made, and connections opened, since construction.
  int plansMade() const;
  int connectionsOpened() const;

 private:
  struct CachedPlan {
    std::string specHash;
    std::string startedAt;  // of the ledger's record, whose snapshot the plan was made from
    PlanOutline outline;
  };
  // One database: its connection and the plans of its migrations, by name.
  struct Database {
    std::mutex mutex;
    std::unique_ptr<pqxx::connection> connection;  // guarded by mutex
    std::map<std::string, CachedPlan> plans;       // guarded by mutex
  };

  std::shared_ptr<Database> databaseFor(const std::string& databaseUrl);
  LedgerView readLocked(Database& database, const std::string& databaseUrl,
                        const api::TenantMigration& migration);

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Database>> databases_;  // by URL; guarded by mutex_
  int plansMade_ = 0;                                           // guarded by mutex_
  int connectionsOpened_ = 0;                                   // guarded by mutex_
};

}  // namespace tenantshift::controller
