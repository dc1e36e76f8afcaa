#include "controller/migration_database.h"

#include "api/spec_error.h"
#include "api/spec_parser.h"
#include "db/connection.h"
#include "engine/engine.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "plan/planner.h"

namespace tenantshift::controller {

namespace {

// The first line of a libpqxx message.
std::string reasonOf(const std::exception& error) {
  std::string text = error.what();
  if (const auto end = text.find('\n'); end != std::string::npos) {
    text.resize(end);
  }
  return text;
}

}  // namespace

int EngineMigrationDatabase::plansMade() const {
  std::lock_guard lock(mutex_);
  return plansMade_;
}

int EngineMigrationDatabase::connectionsOpened() const {
  std::lock_guard lock(mutex_);
  return connectionsOpened_;
}

std::shared_ptr<EngineMigrationDatabase::Database> EngineMigrationDatabase::databaseFor(
    const std::string& databaseUrl) {
  std::lock_guard lock(mutex_);
  auto& database = databases_[databaseUrl];
  if (!database) {
    database = std::make_shared<Database>();
  }
  return database;
}

LedgerView EngineMigrationDatabase::read(const std::string& databaseUrl,
                                         const api::TenantMigration& migration) {
  const std::shared_ptr<Database> database = databaseFor(databaseUrl);
  std::lock_guard lock(database->mutex);
  try {
    try {
      return readLocked(*database, databaseUrl, migration);
    } catch (const pqxx::broken_connection&) {
      if (!database->connection) {
        throw;  // it could not even connect
      }
      // A kept connection the server closed meanwhile (a restart, an idle timeout): once more
      // with a new one.
      database->connection.reset();
      return readLocked(*database, databaseUrl, migration);
    }
  } catch (const pqxx::broken_connection& error) {
    database->connection.reset();
    throw DatabaseUnreachable("cannot connect to the database: " + reasonOf(error));
  } catch (const api::SpecError& error) {
    throw PlanRefused(std::string("the spec does not fit the database: ") + error.what());
  } catch (const engine::EngineError& error) {
    throw PlanRefused(reasonOf(error));
  } catch (const pqxx::sql_error& error) {
    throw PlanRefused("the database refused a read of the plan: " + reasonOf(error));
  }
}

LedgerView EngineMigrationDatabase::readLocked(Database& database, const std::string& databaseUrl,
                                               const api::TenantMigration& migration) {
  if (!database.connection || !database.connection->is_open()) {
    database.connection.reset();
    database.connection = db::connect(databaseUrl);
    std::lock_guard lock(mutex_);
    ++connectionsOpened_;
  }
  const engine::Ledger ledger(migration.metadata.name);
  pqxx::read_transaction tx(*database.connection);
  const engine::MigrationStatus status = ledger.status(tx);
  const std::string specHash = api::specHash(migration.spec);
  const auto cached = database.plans.find(migration.metadata.name);
  if (status.started && cached != database.plans.end() && cached->second.specHash == specHash &&
      cached->second.startedAt == status.startedAt) {
    tx.commit();
    return ledgerView(cached->second.outline, status);
  }
  PlanOutline outline;
  // The snapshot the ledger recorded: what every run of this migration plans from.
  if (const auto record = status.started ? ledger.load(tx) : std::nullopt) {
    outline = outlineOf(plan::buildPlan(migration.spec, record->catalog));
  } else {
    engine::SilentObserver observer;
    outline = outlineOf(engine::Engine(databaseUrl, migration, observer).plan());
  }
  tx.commit();
  {
    std::lock_guard lock(mutex_);
    ++plansMade_;
  }
  LedgerView view = ledgerView(outline, status);
  if (status.started) {
    database.plans.insert_or_assign(migration.metadata.name,
                                    CachedPlan{specHash, status.startedAt, std::move(outline)});
  } else {
    database.plans.erase(migration.metadata.name);
  }
  return view;
}

}  // namespace tenantshift::controller
