#pragma once

#include <stdexcept>
#include <string>

#include "api/migration_spec.h"
#include "controller/observation.h"

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

// The real one: the engine's plan and status, read-only.
class EngineMigrationDatabase final : public MigrationDatabase {
 public:
  LedgerView read(const std::string& databaseUrl, const api::TenantMigration& migration) override;
};

}  // namespace tenantshift::controller
