#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "api/spec_json.h"
#include "api/spec_parser.h"
#include "db/catalog_reader.h"
#include "db/connection.h"
#include "engine/backfill_runner.h"
#include "engine/execution.h"
#include "engine/ledger.h"
#include "engine/phase_prerequisites.h"
#include "engine/preflight.h"
#include "engine/rollback_planner.h"
#include "engine/runner_lock.h"
#include "engine/step_executor.h"
#include "engine/verify_failed_error.h"
#include "engine/verify_step.h"
#include "plan/plan_hash.h"
#include "plan/planner.h"
#include "plan/sql_identifier.h"
#include "verify/verifier.h"

namespace tenantshift::engine {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

ExecutionSettings settingsFor(const api::MigrationSpec& spec) {
  ExecutionSettings settings;
  settings.lockTimeout = spec.ddl.lockTimeout;
  settings.indexBuildTimeout = spec.ddl.indexBuildTimeout;
  settings.retry.retries = spec.ddl.retries;
  settings.backfillPause = spec.backfill.pause;
  return settings;
}

// The migration's record, when the ledger exists and has one. Read-only.
std::optional<MigrationRecord> loadRecord(pqxx::connection& connection, const Ledger& ledger) {
  pqxx::read_transaction tx(connection);
  if (!Ledger::schemaExists(tx)) {
    return std::nullopt;
  }
  return ledger.load(tx);
}

// Runs `read` (a read of the schema or its tables) under the same lock_timeout, retries and
// backoff as a step, so that an application transaction holding an ACCESS EXCLUSIVE lock delays
// it visibly instead of blocking it without limit.
void readPatiently(const std::string& what, Session& session, const api::MigrationSpec& spec,
                   RunObserver& observer,
                   const std::function<void(pqxx::connection&, std::chrono::milliseconds)>& read) {
  plan::Step reading;
  reading.id = "read/" + what;
  reading.summary = "read " + what + " of schema " + spec.database.schema;
  const ExecutionSettings settings = settingsFor(spec);
  try {
    runWithRetries(reading, session, settings, observer, [&](pqxx::connection& connection, int) {
      read(connection, settings.lockTimeout);
    });
  } catch (const pqxx::sql_error& error) {
    throw EngineError("could not read " + what + " of schema " + spec.database.schema + ": " +
                      firstLine(error.what()) +
                      (classifyFailure(error) == FailureKind::Contention
                           ? " (another transaction held a lock on one of its tables through " +
                                 std::to_string(spec.ddl.retries) +
                                 " retries; run again once it has finished)"
                           : ""));
  }
}

plan::Catalog readLiveCatalog(Session& session, const api::MigrationSpec& spec,
                              RunObserver& observer) {
  plan::Catalog catalog;
  readPatiently("the catalog", session, spec, observer,
                [&](pqxx::connection& connection, std::chrono::milliseconds lockTimeout) {
                  catalog = db::readCatalog(connection, spec.database.schema, spec.database.appRole,
                                            lockTimeout);
                });
  return catalog;
}

// Row counts of the planned tables before the first step (the verifier compares with them).
std::map<std::string, std::int64_t> countRows(Session& session, const api::MigrationSpec& spec,
                                              const plan::Plan& thePlan, RunObserver& observer) {
  std::map<std::string, std::int64_t> counts;
  readPatiently("row counts", session, spec, observer,
                [&](pqxx::connection& connection, std::chrono::milliseconds lockTimeout) {
                  pqxx::read_transaction tx(connection);
                  tx.exec_params("SELECT set_config('lock_timeout', $1, true)",
                                 std::to_string(lockTimeout.count()) + "ms");
                  for (const plan::TableDecision& decision : thePlan.decisions) {
                    counts[decision.table] =
                        tx.exec1("SELECT count(*) FROM " +
                                 plan::qualified(spec.database.schema, decision.table))[0]
                            .as<std::int64_t>();
                  }
                });
  return counts;
}

// The catalog to plan from: the snapshot recorded when the migration started, else the live one.
plan::Catalog catalogFor(Session& session, const std::optional<MigrationRecord>& record,
                         const api::MigrationSpec& spec, RunObserver& observer) {
  if (record) {
    return record->catalog;
  }
  return readLiveCatalog(session, spec, observer);
}

bool flagPhaseDone(const plan::Plan& plan, const std::map<std::string, StepRecord>& states) {
  const auto flagSteps = plan.stepsOf(plan::Phase::Flag);
  if (flagSteps.empty()) {
    return false;
  }
  return std::all_of(flagSteps.begin(), flagSteps.end(), [&](const plan::Step* step) {
    const auto it = states.find(step->id);
    return it != states.end() && it->second.state == StepState::Done;
  });
}

std::map<std::string, StepState> stateMap(const std::map<std::string, StepRecord>& records) {
  std::map<std::string, StepState> states;
  for (const auto& [id, record] : records) {
    states[id] = record.state;
  }
  return states;
}

// Throws EngineError (Outcome::PrerequisitesMissing) when a phase before `phase` is not done.
void requirePhasesBefore(plan::Phase phase, const plan::Plan& plan,
                         const std::map<std::string, StepState>& states) {
  if (const plan::Step* undone = firstUndonePrerequisite(plan, phase, states)) {
    throw EngineError(prerequisitesMissingMessage(phase, *undone, states),
                      Outcome::PrerequisitesMissing);
  }
}

// Throws EngineError (Outcome::PlanDrift) when the plan is not the one the caller expects.
void requireExpectedPlan(const RunOptions& options, const plan::Plan& plan) {
  if (!options.expectPlanHash) {
    return;
  }
  const std::string hash = plan::planHash(plan);
  if (hash != *options.expectPlanHash) {
    throw EngineError("the plan's hash is " + hash + ", not the expected " +
                          *options.expectPlanHash +
                          ": the plan changed since it was approved (the schema or the spec "
                          "changed); nothing was changed. Review it with `tenantshift plan` and "
                          "approve the new hash",
                      Outcome::PlanDrift);
  }
}

// The last phase a run covers (`until` or `only`); absent: all of them.
std::optional<plan::Phase> lastPhaseOf(const RunOptions& options) {
  return options.only ? options.only : options.until;
}

// Whether a run with `options` runs the steps of `phase`: `only` that phase; else every phase
// through `until`.
bool covers(const RunOptions& options, plan::Phase phase) {
  if (options.only) {
    return phase == *options.only;
  }
  return !options.until || !plan::isBefore(*options.until, phase);
}

}  // namespace

Engine::Engine(std::string databaseUrl, api::TenantMigration migration, RunObserver& observer)
    : databaseUrl_(std::move(databaseUrl)), migration_(std::move(migration)), observer_(observer) {}

plan::Plan Engine::plan() {
  Session session([url = databaseUrl_] { return db::connect(url); });
  const Ledger ledger(migration_.metadata.name);
  const auto record = loadRecord(session.connection(), ledger);
  return plan::buildPlan(migration_.spec, catalogFor(session, record, migration_.spec, observer_));
}

RunResult Engine::run(const RunOptions& options) {
  const api::MigrationSpec& spec = migration_.spec;
  Ledger ledger(migration_.metadata.name);
  // Plan first: a spec that does not fit the database fails here, before anything changes.
  const plan::Plan preliminary = plan();
  requireExpectedPlan(options, preliminary);

  Session session([url = databaseUrl_] { return db::connect(url); });
  if (!loadRecord(session.connection(), ledger)) {
    // Nothing recorded: no phase is done yet. Refused before the ledger is created.
    if (options.only) {
      requirePhasesBefore(*options.only, preliminary, {});
    }
    // The rows the migration will write must fit the schema (tried and rolled back).
    readPatiently("the tenants table (preflight)", session, spec, observer_,
                  [&](pqxx::connection& connection, std::chrono::milliseconds lockTimeout) {
                    runPreflights(connection, preliminary.preflights, lockTimeout);
                  });
  }
  Ledger::ensureSchema(session.connection());
  auto lock = RunnerLock::acquire(
      databaseUrl_, migration_.metadata.name,
      options.only ? "phase " + std::string(plan::toString(*options.only)) : "run");
  ledger.setRunnerId(lock->runnerId());

  // Load or create the migration's record; plan from its snapshot.
  std::optional<MigrationRecord> record = loadRecord(session.connection(), ledger);
  plan::Plan thePlan;
  const std::string hash = api::specHash(spec);
  const nlohmann::json specJson = api::toJson(spec);
  std::vector<plan::Step> noLongerPlanned;
  if (record) {
    thePlan = plan::buildPlan(spec, record->catalog);
    requireExpectedPlan(options, thePlan);
    pqxx::work tx(session.connection());
    ledger.updateSpec(tx, hash, specJson);
    noLongerPlanned = ledger.syncSteps(tx, thePlan.steps);
    tx.commit();
  } else {
    MigrationRecord created;
    created.name = migration_.metadata.name;
    created.specHash = hash;
    created.spec = specJson;
    // Read again (plan() above read it before the lock): the snapshot every later run, resume
    // and rollback plans from is the schema as this runner sees it while holding the lock.
    created.catalog = readLiveCatalog(session, spec, observer_);
    created.createdTenantsTable = created.catalog.findTable(spec.tenant.table) == nullptr;
    thePlan = plan::buildPlan(spec, created.catalog);
    // Under the lock, from the snapshot it records: the plan that will run.
    requireExpectedPlan(options, thePlan);
    created.baselineCounts = countRows(session, spec, thePlan, observer_);
    pqxx::work tx(session.connection());
    ledger.create(tx, created);
    ledger.syncSteps(tx, thePlan.steps);
    tx.commit();
    spdlog::info("migration recorded name={} tables={} steps={}", created.name,
                 created.baselineCounts.size(), thePlan.steps.size());
    record = std::move(created);
  }

  std::map<std::string, StepRecord> states;
  {
    pqxx::read_transaction tx(session.connection());
    states = ledger.steps(tx);
  }
  if (options.only) {
    requirePhasesBefore(*options.only, thePlan, stateMap(states));
  }

  ExecutionSettings settings = settingsFor(spec);
  settings.stop = options.stop;
  StepExecutor executor(session, ledger, settings, observer_);
  // What an earlier spec did and this one no longer plans (e.g. a tenant-consistent form of a
  // foreign key now accepted as a cross-tenant reference) is undone first, latest first.
  for (const plan::Step& step : noLongerPlanned) {
    lock->ensureHeld();
    spdlog::info("step no longer planned id={}: the spec changed; undoing it", step.id);
    observer_.stepStarted(step);
    const auto start = Clock::now();
    executor.runDown(step);
    pqxx::work tx(session.connection());
    ledger.forgetStep(tx, step.id);
    tx.commit();
    observer_.stepFinished(step, 0, since(start));
  }
  // The backfill phase's runner: made for its first backfill step, and destroyed (its probe and
  // lock watch stopped, their connections closed) as soon as a step of another phase comes, so
  // that the throttle never probes the database while the later phases' DDL runs.
  std::optional<BackfillRunner> backfill;
  VerifyStep verifying(session, ledger, settings, observer_, spec, record->catalog, thePlan,
                       record->baselineCounts);
  const plan::Step* verifyStep = nullptr;
  for (const plan::Step& step : thePlan.steps) {
    if (step.execution == plan::Execution::Verify) {
      verifyStep = &step;
    }
  }
  RunResult result;
  auto verifyNow = [&](bool strict) {
    observer_.stepStarted(*verifyStep);
    const auto start = Clock::now();
    result.verifyReport = verifying.run(*verifyStep, strict);
    observer_.stepFinished(*verifyStep, 0, since(start));
    ++result.stepsExecuted;
  };
  // A step stopped at a safe point is pending again (resumable), not failed.
  auto runStoppable = [&](const plan::Step& step, const std::function<std::int64_t()>& execute) {
    try {
      return execute();
    } catch (const EngineError& error) {
      if (error.outcome() == Outcome::Paused) {
        pqxx::work tx(session.connection());
        ledger.markInterrupted(tx, step.id);
        tx.commit();
        spdlog::info("step interrupted id={}: pending again, resumes where it stopped", step.id);
      }
      throw;
    }
  };
  // Once a flag step is done (the flag is on, the policies maybe strict), the verification
  // before the flag is history: a flag phase resumed after a failure goes on from where it was.
  bool flagChecked = std::any_of(thePlan.steps.begin(), thePlan.steps.end(), [&](const auto& s) {
    const auto recorded = states.find(s.id);
    return s.phase == plan::Phase::Flag && recorded != states.end() &&
           recorded->second.state == StepState::Done;
  });
  for (const plan::Step& step : thePlan.steps) {
    if (step.phase != plan::Phase::Backfill) {
      backfill.reset();
    }
    if (!covers(options, step.phase)) {
      continue;  // a phase before `only` (done: checked above), or after the last one covered
    }
    const auto recorded = states.find(step.id);
    const bool done = recorded != states.end() && recorded->second.state == StepState::Done;
    if (!done) {
      settings.checkpoint("between steps, before " + step.id);
    }
    // Before the flag flips, the verification must hold for the schema as it is now: a change
    // since (`run --until verify`, then someone's DDL, then `run`) means verifying again.
    if (step.phase == plan::Phase::Flag && !done && !flagChecked && verifyStep != nullptr) {
      flagChecked = true;
      lock->ensureHeld();
      if (!verifying.stillHolds(*verifyStep)) {
        verifyNow(false);
      }
    }
    if (done) {
      observer_.stepAlreadyDone(step);
      continue;
    }
    lock->ensureHeld();
    spdlog::debug("step started id={} execution={}", step.id, plan::toString(step.execution));
    if (step.execution == plan::Execution::Verify) {
      pqxx::read_transaction tx(session.connection());
      const bool strict = flagPhaseDone(thePlan, ledger.steps(tx));
      tx.commit();
      verifyNow(strict);
      continue;
    }
    observer_.stepStarted(step);
    const auto start = Clock::now();
    const std::int64_t rows = runStoppable(step, [&]() -> std::int64_t {
      if (step.execution == plan::Execution::Backfill) {
        if (!backfill) {
          backfill.emplace(
              session, ledger, settings, observer_,
              backfillSettingsFor(spec, [url = databaseUrl_] { return db::connect(url); }));
        }
        return backfill->run(step);
      }
      return executor.runUp(step);
    });
    observer_.stepFinished(step, rows, since(start));
    ++result.stepsExecuted;
  }
  backfill.reset();
  // Once enforced, the verdict the run ends with is a strict one on the schema as it is now.
  const auto lastPhase = lastPhaseOf(options);
  if (verifyStep != nullptr && (!lastPhase || *lastPhase == plan::Phase::Flag)) {
    pqxx::read_transaction tx(session.connection());
    const bool enforced = flagPhaseDone(thePlan, ledger.steps(tx));
    tx.commit();
    if (enforced) {
      lock->ensureHeld();
      const auto last = verifying.recorded(*verifyStep);
      if (!last || !last->strict || !verifying.stillHolds(*verifyStep)) {
        verifyNow(true);
      }
    }
  }
  if (verifyStep != nullptr) {
    result.verification = verifying.recorded(*verifyStep);
  }
  result.complete = true;
  return result;
}

VerifyReport Engine::verify() {
  Session session([url = databaseUrl_] { return db::connect(url); });
  const Ledger ledger(migration_.metadata.name);
  const auto record = loadRecord(session.connection(), ledger);
  const plan::Catalog before = catalogFor(session, record, migration_.spec, observer_);
  const plan::Plan thePlan = plan::buildPlan(migration_.spec, before);
  bool strict = false;
  std::map<std::string, std::int64_t> baseline;
  if (record) {
    baseline = record->baselineCounts;
    pqxx::read_transaction tx(session.connection());
    strict = flagPhaseDone(thePlan, ledger.steps(tx));
  }
  plan::Step verifying;
  verifying.id = "verify/isolation";
  verifying.summary = "verify tenant isolation as " + migration_.spec.database.appRole;
  VerifyReport report;
  // The verifier retries its own units; a lost connection is retried here.
  const ExecutionSettings settings = settingsFor(migration_.spec);
  const verify::VerifyOptions verifyOptions = verifyOptionsFor(settings);
  runWithRetries(verifying, session, settings, observer_, [&](pqxx::connection& connection, int) {
    report = verify::verifyMigration(
        connection, {migration_.spec, before, thePlan, baseline, strict}, verifyOptions);
  });
  return report;
}

PlanProgress Engine::progress() {
  Session session([url = databaseUrl_] { return db::connect(url); });
  const Ledger ledger(migration_.metadata.name);
  const auto record = loadRecord(session.connection(), ledger);
  const plan::Plan thePlan =
      plan::buildPlan(migration_.spec, catalogFor(session, record, migration_.spec, observer_));
  std::map<std::string, StepState> states;
  if (record) {
    pqxx::read_transaction tx(session.connection());
    states = stateMap(ledger.steps(tx));
  }
  return planProgress(thePlan, states);
}

MigrationStatus Engine::status() {
  auto connection = db::connect(databaseUrl_);
  pqxx::read_transaction tx(*connection);
  return Ledger(migration_.metadata.name).status(tx);
}

RollbackResult Engine::rollback(RollbackScenario scenario, bool allowDataLoss) {
  const api::MigrationSpec& spec = migration_.spec;
  Ledger ledger(migration_.metadata.name);
  Session session([url = databaseUrl_] { return db::connect(url); });
  RollbackResult result;
  if (!loadRecord(session.connection(), ledger)) {
    spdlog::info("rollback: no migration named {} is recorded in this database; nothing to undo",
                 ledger.migration());
    return result;
  }
  Ledger::ensureSchema(session.connection());
  auto lock = RunnerLock::acquire(databaseUrl_, migration_.metadata.name, "rollback");
  ledger.setRunnerId(lock->runnerId());
  const auto record = loadRecord(session.connection(), ledger);
  if (!record) {
    spdlog::info("rollback: no migration named {} is recorded in this database; nothing to undo",
                 ledger.migration());
    return result;
  }
  const plan::Plan thePlan = plan::buildPlan(spec, record->catalog);
  std::map<std::string, StepState> states;
  {
    pqxx::read_transaction tx(session.connection());
    states = stateMap(ledger.steps(tx));
  }
  const std::vector<const plan::Step*> toUndo = stepsToUndo(thePlan, scenario, states);

  if (scenario == RollbackScenario::Full && !allowDataLoss) {
    std::vector<std::string> losses;
    for (const plan::DataLossCheck& check : thePlan.dataLossChecks) {
      try {
        pqxx::read_transaction tx(session.connection());
        const auto rows = execStatement(tx, check.query);
        const std::int64_t count =
            rows.empty() || rows[0][0].is_null() ? 0 : rows[0][0].as<std::int64_t>();
        if (count > 0) {
          losses.push_back(check.what + " (" + std::to_string(count) + ")");
        }
      } catch (const pqxx::sql_error& error) {
        // The check reads objects the migration adds; when they do not exist (the schema
        // phase never got that far), there is nothing the rollback could lose there.
        if (error.sqlstate() != "42703" && error.sqlstate() != "42P01") {
          throw EngineError("rollback full: data-loss check \"" + check.what +
                            "\" failed: " + firstLine(error.what()) +
                            "; fix the cause, or rerun with --allow-data-loss to skip the checks");
        }
      }
    }
    if (!losses.empty()) {
      std::string list;
      for (const std::string& loss : losses) {
        list += (list.empty() ? "" : "; ") + loss;
      }
      throw EngineError(
          "rollback full would lose: " + list + "; rerun with --allow-data-loss to proceed",
          Outcome::DataLossRefused);
    }
  }

  const ExecutionSettings settings = settingsFor(spec);
  StepExecutor executor(session, ledger, settings, observer_);
  for (const plan::Step* step : toUndo) {
    lock->ensureHeld();
    observer_.stepStarted(*step);
    const auto start = Clock::now();
    if (step->execution == plan::Execution::Backfill || step->down.empty()) {
      // Nothing to run: the backfill's values go with the column; its cursor starts over.
      pqxx::work tx(session.connection());
      if (step->backfill) {
        ledger.resetCursor(tx, step->backfill->table);
      }
      ledger.markRolledBack(tx, step->id);
      tx.commit();
      spdlog::info("step rolled back id={} (no down SQL)", step->id);
    } else {
      executor.runDown(*step);
    }
    observer_.stepFinished(*step, 0, since(start));
    result.undoneSteps.push_back(step->id);
  }
  if (scenario == RollbackScenario::Full) {
    pqxx::work tx(session.connection());
    ledger.remove(tx);
    tx.commit();
    spdlog::info("rollback full done: migration record {} removed", ledger.migration());
  }
  spdlog::info("rollback done scenario={} steps={}", toString(scenario), result.undoneSteps.size());
  return result;
}

}  // namespace tenantshift::engine
