#include "controller/migration_database.h"

#include <pqxx/pqxx>

#include "api/spec_error.h"
#include "controller/ledger_view.h"
#include "engine/engine.h"
#include "engine/run_observer.h"

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

LedgerView EngineMigrationDatabase::read(const std::string& databaseUrl,
                                         const api::TenantMigration& migration) {
  engine::SilentObserver observer;
  engine::Engine engine(databaseUrl, migration, observer);
  try {
    const plan::Plan plan = engine.plan();
    const engine::MigrationStatus status = engine.status();
    return ledgerView(plan, status);
  } catch (const pqxx::broken_connection& error) {
    throw DatabaseUnreachable("cannot connect to the database: " + reasonOf(error));
  } catch (const api::SpecError& error) {
    throw PlanRefused(std::string("the spec does not fit the database: ") + error.what());
  } catch (const engine::EngineError& error) {
    throw PlanRefused(reasonOf(error));
  } catch (const pqxx::sql_error& error) {
    throw PlanRefused("the database refused a read of the plan: " + reasonOf(error));
  }
}

}  // namespace tenantshift::controller
