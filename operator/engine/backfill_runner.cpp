#include "engine/backfill_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "analysis/millis_text.h"
#include "analysis/replication_lag.h"
#include "api/joined.h"
#include "db/application_search_path.h"
#include "db/role_membership_sql.h"
#include "engine/engine.h"
#include "engine/step_executor.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_move_guard.h"
#include "plan/tenant_objects.h"

namespace tenantshift::engine {

namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kRateWindow{30000};

std::int64_t millisSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start).count();
}

// The PostgreSQL SQLSTATE for "insufficient privilege".
constexpr const char* kInsufficientPrivilege = "42501";

std::vector<std::string> textRow(const pqxx::row& row, pqxx::row::size_type from) {
  std::vector<std::string> out;
  for (auto i = from; i < row.size(); ++i) {
    out.push_back(row[i].as<std::string>());
  }
  return out;
}

void append(std::vector<std::string>& to, const std::vector<std::string>& values) {
  to.insert(to.end(), values.begin(), values.end());
}

// An UPDATE trigger of the application: row or statement level, and the columns of its UPDATE
// OF list (empty: any update).
struct UpdateTrigger {
  bool row = false;
  std::vector<std::string> columns;
  std::string function;  // regprocedure, with its schema
  std::string functionOwner;
  bool appCanReplaceFunction = false;  // the application role is a member of its owner
};

bool watchesAnyOf(const UpdateTrigger& trigger, const std::vector<std::string>& columns) {
  return std::any_of(columns.begin(), columns.end(), [&](const std::string& column) {
    return std::find(trigger.columns.begin(), trigger.columns.end(), column) !=
           trigger.columns.end();
  });
}

// A trigger that fires for the backfill's updates runs its function with the runner's
// privileges: when the application role may replace that function, the application's code would.
[[noreturn]] void refuseReplaceableTrigger(const plan::Step& step, const std::string& name,
                                           const UpdateTrigger& trigger,
                                           const std::string& appRole) {
  throw EngineError(
      "step " + step.id + " failed: trigger " + name + " of " + step.backfill->table +
      " fires for the backfill's updates and runs " + trigger.function +
      " with the runner's privileges, and " + appRole + " is a member of that function's owner " +
      trigger.functionOwner +
      ": the application could replace the function and have its code run with them; give the "
      "function an owner the application is not a member of (ALTER FUNCTION " +
      trigger.function + " OWNER TO ...), then run again (nothing was backfilled)");
}

// Whether the trigger fires for the backfill's updates whatever else they set: it watches any
// update, or the tenant column.
bool firesForEveryUpdate(const UpdateTrigger& trigger, const std::string& tenantColumn) {
  return trigger.columns.empty() || watchesAnyOf(trigger, {tenantColumn});
}

}  // namespace

BackfillSettings backfillSettingsFor(const api::MigrationSpec& spec,
                                     analysis::ConnectionFactory connect) {
  const api::BackfillSpec& backfill = spec.backfill;
  BackfillSettings out;
  out.sizing.fixed = backfill.batchSize;
  out.sizing.target = backfill.targetBatchDuration;
  out.sizing.min = backfill.minBatchSize;
  out.sizing.max = backfill.maxBatchSize;
  out.sizing.initial = std::clamp(1000, backfill.minBatchSize, backfill.maxBatchSize);
  if (backfill.throttle.enabled) {
    const api::ThrottleSpec& spec_ = backfill.throttle;
    ThrottleConfig config;
    config.controller.latencyLimit.maxIncreasePercent = spec_.maxLatencyIncreasePercent;
    config.controller.latencyLimit.minIncreaseMillis =
        static_cast<double>(spec_.minLatencyIncrease.count());
    config.controller.windowSamples = static_cast<std::size_t>(spec_.windowSamples);
    if (spec_.maxReplicationLag.count() > 0) {
      config.controller.maxReplicationLag = spec_.maxReplicationLag;
    }
    if (spec_.maxLockWait.count() > 0) {
      config.controller.maxLockWait = spec_.maxLockWait;
    }
    config.controller.maxPause = std::max(spec_.maxPause, backfill.pause);
    config.controller.lagRecheck = std::min(milliseconds(1000), config.controller.maxPause);
    config.controller.minBatch = backfill.minBatchSize;
    // Slow start: full speed only once the probe has shown, window by window, that the
    // application stays within its limit.
    config.controller.startLevel = config.controller.maxLevel;
    config.probeSql = spec_.probe.sql;
    config.probeInterval = spec_.probe.interval;
    // Judged as often as a fifth of a window of samples comes in, however long the pauses get:
    // a level's window is judged soon after it is complete.
    // Not under 100 ms: each decision may read the standbys' replication lag.
    config.controller.recheck =
        std::max(milliseconds(100), spec_.probe.interval * spec_.windowSamples / 5);
    config.probeTimeout = spec_.probe.timeout;
    config.probeCommit = spec_.probe.commit;
    config.baselineSamples = static_cast<std::size_t>(spec_.baselineSamples);
    out.throttle = std::move(config);
  }
  out.schema = spec.database.schema;
  out.tenantColumn = spec.tenant.column;
  out.defaultTenantId = spec.tenant.defaultTenant.id;
  out.appRole = spec.database.appRole;
  out.connect = std::move(connect);
  return out;
}

BackfillRunner::BackfillRunner(Session& session, const Ledger& ledger,
                               const ExecutionSettings& settings, RunObserver& observer,
                               BackfillSettings backfill, const analysis::Clock& clock)
    : session_(session),
      ledger_(ledger),
      settings_(settings),
      observer_(observer),
      backfill_(std::move(backfill)),
      clock_(clock) {}

const analysis::Clock& BackfillRunner::defaultClock() {
  static const analysis::SteadyClock clock;
  return clock;
}

std::int64_t BackfillRunner::run(const plan::Step& step) {
  if (!step.backfill) {
    throw std::logic_error("backfill step without a backfill task: " + step.id);
  }
  const plan::BackfillTask& task = *step.backfill;
  const auto start = SteadyClock::now();
  std::int64_t rowsDone = 0;
  try {
    BackfillCursor cursor;
    runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
      pqxx::work tx(connection);
      ledger_.markRunning(tx, step.id, true);
      const auto recorded = ledger_.cursor(tx, task.table);
      cursor = recorded.value_or(BackfillCursor{});
      if (!recorded) {
        ledger_.saveCursor(tx, task.table, cursor);
      }
      tx.commit();
    });
    if (cursor.rowsDone > 0 || cursor.rowsScanned > 0) {
      spdlog::info("backfill resuming table={} rows_done={} rows_scanned={}", task.table,
                   cursor.rowsDone, cursor.rowsScanned);
    }
    progress_ = BackfillProgress{};
    progress_.table = task.table;
    progress_.estimatedTotal = task.estimatedRows;
    progress_.rowsUpdated = cursor.rowsDone;
    progress_.rowsScanned = cursor.rowsScanned;
    try {
      prepare(step);
      inspectTriggers(step);
    } catch (const EngineError& error) {
      // The throttle could not start, or a trigger is refused: `status` shows why, not a step
      // left running.
      StepExecutor(session_, ledger_, settings_, observer_)
          .recordFailure(step, error.what(), millisSince(start));
      throw;
    }
    // The figures only: progress is copied with every batch, and its readers (the ledger,
    // `status`) show p50, p99 and the sample count.
    if (baseline_) {
      progress_.baseline =
          analysis::baselineFigures(baseline_->samples, baseline_->p50, baseline_->p99);
    }
    analyzeTenantColumn(step);
    sizer_.emplace(backfill_.sizing);
    rate_.emplace(kRateWindow);
    rate_->observe(clock_.now(), progress_.rowsScanned);
    decide(step, 0, 0, std::nullopt);

    // The keyset pass ends at the last row that exists when it starts: the application's
    // inserts after that already get a tenant (and the sweep catches any that did not).
    const auto bound = task.keyColumns.empty() ? std::nullopt : upperBound(step);
    if (bound) {
      for (;;) {
        pace(step);
        const int size = decision_.batchSize;
        const std::int64_t scannedBefore = progress_.rowsScanned;
        const auto batchStart = clock_.now();
        const bool more = batch(step, *bound, size);
        if (!more) {
          break;
        }
        decide(step, size, progress_.rowsScanned - scannedBefore,
               std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - batchStart));
        report(step);
      }
    }
    progress_.sweeping = true;
    for (;;) {
      pace(step);
      const auto sweepStart = clock_.now();
      const std::int64_t updated = sweep(step, decision_.batchSize);
      decide(step, 0, 0,
             std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - sweepStart));
      report(step);
      if (updated == 0) {
        break;
      }
    }
    runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
      pqxx::work tx(connection);
      auto done = ledger_.cursor(tx, task.table).value_or(BackfillCursor{});
      done.finished = true;
      ledger_.saveCursor(tx, task.table, done);
      BackfillProgress finished = progress_;
      finished.finished = true;
      finished.rowsUpdated = done.rowsDone;
      finished.eta = std::chrono::seconds(0);
      ledger_.saveProgress(tx, finished);
      ledger_.markDone(tx, step.id, done.rowsDone, millisSince(start));
      tx.commit();
      rowsDone = done.rowsDone;
    });
  } catch (const pqxx::failure& error) {
    const std::string message = stepFailureMessage(step, error, settings_);
    StepExecutor(session_, ledger_, settings_, observer_)
        .recordFailure(step, message, millisSince(start));
    throw EngineError(message, outcomeOfDatabaseFailure(error));
  }
  spdlog::debug("step done id={} rows={} ms={}", step.id, rowsDone, millisSince(start));
  return rowsDone;
}

void BackfillRunner::prepare(const plan::Step& step) {
  if (prepared_) {
    return;
  }
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::work tx(connection);
    try {
      tx.exec("SELECT set_config('session_replication_role', 'replica', true)");
      replica_ = true;
    } catch (const pqxx::insufficient_privilege&) {
      // libpqxx 6 throws this class for SQLSTATE 42501, without the SQLSTATE.
      replica_ = false;
    } catch (const pqxx::sql_error& error) {
      if (error.sqlstate() != kInsufficientPrivilege) {
        throw;
      }
      replica_ = false;
    }
  });
  if (replica_) {
    spdlog::info(
        "backfill batches run with session_replication_role=replica: the application's row "
        "triggers and the per-row foreign-key check of the tenant column do not fire for them "
        "(the constraints phase validates every row); triggers marked ENABLE ALWAYS or ENABLE "
        "REPLICA still fire");
  } else {
    spdlog::warn(
        "backfill runs as a role that may not set session_replication_role (not a superuser, "
        "no SET privilege on it): the application's row triggers fire for every backfilled row "
        "(a BEFORE UPDATE trigger changes the row, an audit trigger writes one row per update) "
        "and every row's new tenant id is checked against the tenants table one by one; to "
        "avoid both, run as a superuser or GRANT SET ON PARAMETER session_replication_role to "
        "the runner (PostgreSQL 15 and later)");
  }
  analysis::ThrottleSettings off;
  off.minPause = settings_.backfillPause;
  off.maxPause = std::max(off.maxPause, settings_.backfillPause);
  off.minBatch = backfill_.sizing.min;
  if (backfill_.throttle) {
    requireProbeRole(step);
    if (!watch_) {
      watch_ = std::make_unique<BackfillWatch>(*backfill_.throttle, backfill_.appRole,
                                               backfill_.connect, clock_);
    }
    takeBaseline(step);
    analysis::ThrottleSettings controller = backfill_.throttle->controller;
    controller.minPause = settings_.backfillPause;
    controller.maxPause = std::max(controller.maxPause, settings_.backfillPause);
    throttle_ = std::make_unique<analysis::ThrottleController>(controller, baseline_, clock_.now());
  } else {
    throttle_ = std::make_unique<analysis::ThrottleController>(off, std::nullopt, clock_.now());
  }
  prepared_ = true;
}

void BackfillRunner::requireProbeRole(const plan::Step& step) {
  std::string runner;
  bool allowed = false;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::read_transaction tx(connection);
    // SET ROLE needs membership (PostgreSQL 16: a membership granted WITH SET); superusers may
    // take any role. A role that does not exist fails here with PostgreSQL's own message.
    const char* privilege = connection.server_version() >= 160000 ? "SET" : "MEMBER";
    const pqxx::row row =
        tx.exec_params1("SELECT current_user::text, pg_has_role(current_user, $1::text::name, $2)",
                        backfill_.appRole, privilege);
    runner = row[0].as<std::string>();
    allowed = row[1].as<bool>();
  });
  if (allowed) {
    return;
  }
  throw EngineError(
      "step " + step.id +
      " failed: spec.backfill.throttle is enabled, and its latency probe runs " +
      "as the application role " + backfill_.appRole + " (SET ROLE, so that it measures what the " +
      "application gets), which the runner's role " + runner + " may not do: it is neither a " +
      "superuser nor a member of " + backfill_.appRole + "; either GRANT " +
      plan::quoteIdent(backfill_.appRole) + " TO " + plan::quoteIdent(runner) +
      ", or turn the throttle off (spec.backfill.throttle.enabled: false), then run again");
}

void BackfillRunner::takeBaseline(const plan::Step& step) {
  const ThrottleConfig& config = *backfill_.throttle;
  analysis::ProbeSampler& sampler = watch_->sampler();
  progress_.state = analysis::ThrottleState::Measuring;
  progress_.reason = "taking the latency baseline: " + std::to_string(config.baselineSamples) +
                     " samples of " + sampler.probe().describe();
  report(step);
  const std::uint64_t wanted = sampler.taken() + config.baselineSamples;
  const auto patience =
      (config.probeInterval + config.probeTimeout) * static_cast<int>(config.baselineSamples) +
      milliseconds(10000);
  if (!sampler.awaitTaken(wanted, patience)) {
    throw EngineError("step " + step.id + " failed: the backfill throttle's latency probe (" +
                      sampler.probe().describe() + ") did not take " +
                      std::to_string(config.baselineSamples) + " samples within " +
                      std::to_string(patience.count()) +
                      " ms; check that the database answers, lower "
                      "spec.backfill.throttle.probe.timeout, or disable the throttle "
                      "(spec.backfill.throttle.enabled: false), then run again");
  }
  const auto samples = sampler.newest(config.baselineSamples);
  const auto failed = static_cast<std::size_t>(
      std::count_if(samples.begin(), samples.end(), [](const auto& s) { return s.failed; }));
  if (failed * 2 > samples.size()) {
    throw EngineError(
        "step " + step.id + " failed: the backfill throttle's latency probe failed " +
        std::to_string(failed) + " of " + std::to_string(samples.size()) +
        " times while taking its baseline (" + firstLine(sampler.lastError()) + "); it runs as " +
        backfill_.appRole +
        " (SET ROLE, so the runner must be a member of that role or a superuser): fix "
        "spec.backfill.throttle.probe.sql or the role's privileges, or disable the throttle "
        "(spec.backfill.throttle.enabled: false), then run again");
  }
  baseline_ = analysis::makeBaseline(samples);
  spdlog::info("backfill throttle baseline probe=\"{}\" {}", sampler.probe().describe(),
               baseline_->describe());
  if (baseline_->p50 * 4 > static_cast<double>(config.probeInterval.count())) {
    spdlog::warn(
        "backfill throttle probe takes {} (p50), more than a quarter of its interval ({} ms): it "
        "keeps a backend busy and loads the database it measures; make "
        "spec.backfill.throttle.probe.sql cheaper (an index lookup) or raise probe.interval",
        analysis::millisText(baseline_->p50), config.probeInterval.count());
  }
}

void BackfillRunner::inspectTriggers(const plan::Step& step) {
  const plan::BackfillTask& task = *step.backfill;
  const std::string table = plan::qualified(backfill_.schema, task.table);
  std::map<std::string, UpdateTrigger> triggers;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::read_transaction tx(connection);
    // UPDATE triggers (row or statement) of the table or of its partitions that fire in this
    // session's mode: origin fires O and A, replica fires R and A. One row per column of an
    // UPDATE OF list (NULL: any update). Not tenantshift's own.
    // With the trigger's function, its owner, and whether the application role is a member of
    // that owner (it may replace the function).
    const pqxx::result rows = tx.exec_params(
        "SELECT t.tgname, (t.tgtype & 1) <> 0, a.attname, t.tgfoid::regprocedure::text, "
        "pg_get_userbyid(p.proowner), " +
            db::roleIsMemberOfSql("$4", "p.proowner") +
            " FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "LEFT JOIN LATERAL unnest(t.tgattr::int2[]) AS k(attnum) ON true "
            "LEFT JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum "
            "WHERE (t.tgrelid = to_regclass($1) OR "
            "t.tgrelid IN (SELECT relid FROM pg_partition_tree(to_regclass($1)))) AND NOT "
            "t.tgisinternal AND (t.tgtype & 16) <> 0 "
            "AND t.tgname <> ALL ($3::name[]) AND t.tgenabled = ANY ($2::\"char\"[]) ORDER BY 1",
        table, replica_ ? "{R,A}" : "{O,A}", plan::ownTriggerNamesArray(), backfill_.appRole);
    triggers.clear();
    for (const auto& row : rows) {
      UpdateTrigger& trigger = triggers[row[0].as<std::string>()];
      trigger.row = row[1].as<bool>();
      if (!row[2].is_null()) {
        trigger.columns.push_back(row[2].as<std::string>());
      }
      trigger.function = row[3].as<std::string>();
      trigger.functionOwner = row[4].as<std::string>();
      trigger.appCanReplaceFunction = row[5].as<bool>();
    }
  });
  std::vector<std::string> firing;
  std::vector<std::string> watchingTouched;
  for (const auto& [name, trigger] : triggers) {
    if (firesForEveryUpdate(trigger, backfill_.tenantColumn)) {
      if (trigger.appCanReplaceFunction) {
        refuseReplaceableTrigger(step, name, trigger, backfill_.appRole);
      }
      if (trigger.row) {
        firing.push_back(name);
      }
    } else if (watchesAnyOf(trigger, task.touchedColumns)) {
      watchingTouched.push_back(name);
    }
  }
  // A table without touched columns has no *Untouched statements: its statements touch nothing.
  touchSourceColumns_ = watchingTouched.empty();
  if (!watchingTouched.empty()) {
    spdlog::info(
        "backfill table={} triggers={} are declared UPDATE OF {} and fire for the backfill's "
        "updates: its batches leave those columns out of their SET list, so that the triggers do "
        "not fire, at the cost of slower batches where those columns are indexed",
        task.table, api::joined(watchingTouched, ","), api::joined(task.touchedColumns, ","));
  }
  // The triggers are the application's code: they name its tables as the application does.
  applicationSearchPath_.reset();
  if (firing.empty()) {
    return;
  }
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    applicationSearchPath_ = db::applicationSearchPath(connection);
  });
  const std::string names = api::joined(firing, ",");
  if (replica_) {
    spdlog::info(
        "backfill table={} triggers={} fire for the backfill's updates although batches run as "
        "replica (they are ENABLE ALWAYS or ENABLE REPLICA); its batches run with the "
        "application's search_path ({})",
        step.backfill->table, names, *applicationSearchPath_);
  } else {
    spdlog::warn(
        "backfill table={} triggers={} fire for every backfilled row (the runner may not set "
        "session_replication_role); its batches run with the application's search_path ({})",
        step.backfill->table, names, *applicationSearchPath_);
  }
}

void BackfillRunner::analyzeTenantColumn(const plan::Step& step) {
  const std::string table = plan::qualified(backfill_.schema, step.backfill->table);
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::work tx(connection);
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", settings_.lockTimeoutSetting());
    // Takes SHARE UPDATE EXCLUSIVE: the application's reads and writes go on.
    tx.exec("ANALYZE " + table + " (" + plan::quoteIdent(backfill_.tenantColumn) + ")");
    tx.commit();
  });
}

std::optional<std::vector<std::string>> BackfillRunner::upperBound(const plan::Step& step) {
  const plan::BackfillTask& task = *step.backfill;
  std::optional<std::vector<std::string>> bound;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    pqxx::read_transaction tx(connection);
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", settings_.lockTimeoutSetting());
    const pqxx::result result = tx.exec(task.upperBoundSql);
    bound.reset();
    if (!result.empty()) {
      bound = textRow(result[0], 0);
    }
  });
  return bound;
}

analysis::LockWaitWatcher* BackfillRunner::lockWatcher() const {
  if (!watch_ || !backfill_.throttle || !backfill_.throttle->controller.maxLockWait) {
    return nullptr;
  }
  return &watch_->locks();
}

std::string BackfillRunner::batchSettingsSql() const {
  // jit off: a batch is a short statement whose estimated cost can still pass jit_above_cost;
  // compiling it would cost more than running it. synchronous_commit off: the batch and its
  // cursor commit together, so a batch lost in a server crash is lost with its cursor and simply
  // done again; the backfill does not wait for a WAL flush per batch.
  std::string sql =
      "SELECT set_config('lock_timeout', $1, true), set_config('jit', 'off', true), "
      "set_config('synchronous_commit', 'off', true)";
  if (replica_) {
    sql += ", set_config('session_replication_role', 'replica', true)";
  }
  if (applicationSearchPath_) {
    sql += ", set_config('search_path', $2, true)";
  }
  return sql;
}

void BackfillRunner::applyBatchSettings(pqxx::transaction_base& tx) const {
  if (applicationSearchPath_) {
    tx.exec_params(batchSettingsSql(), settings_.lockTimeoutSetting(), *applicationSearchPath_);
  } else {
    tx.exec_params(batchSettingsSql(), settings_.lockTimeoutSetting());
  }
}

void BackfillRunner::takeParentMoveLock(pqxx::transaction_base& tx,
                                        const plan::BackfillTask& task) {
  if (task.parentMoveLock) {
    // Before the statement, whose snapshot is then taken after every move of a parent that was
    // still open has committed (plan/tenant_move_guard.h). Under lock_timeout, like the batch.
    tx.exec_params("SELECT pg_catalog.pg_advisory_xact_lock($1::int4, $2::int4)",
                   plan::kTenantMoveLockClass, *task.parentMoveLock);
  }
}

void BackfillRunner::saveProgress(pqxx::transaction_base& tx) const {
  ledger_.saveProgress(tx, progress_);
}

bool BackfillRunner::batch(const plan::Step& step, const std::vector<std::string>& bound,
                           int size) {
  const plan::BackfillTask& task = *step.backfill;
  bool more = false;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    // This attempt's backend (a retry may have reconnected): the application sessions its row
    // locks keep waiting are the ones the throttle must see.
    const analysis::WatchedBackend watched(lockWatcher(), connection.backendpid());
    pqxx::work tx(connection);
    applyBatchSettings(tx);
    takeParentMoveLock(tx, task);
    // Re-read inside the batch's transaction: an attempt after an in-doubt commit must not
    // repeat a batch that did commit.
    BackfillCursor cursor = ledger_.cursor(tx, task.table).value_or(BackfillCursor{});
    BackfillProgress progress = progress_;
    if (cursor.finished) {
      progress.rowsUpdated = cursor.rowsDone;
      progress.rowsScanned = cursor.rowsScanned;
      more = false;
      progress_ = progress;
      return;
    }
    const bool first = cursor.lastKey.empty();
    if (!first && cursor.lastKey.size() != task.keyColumns.size()) {
      throw std::logic_error("backfill cursor of " + task.table + " has " +
                             std::to_string(cursor.lastKey.size()) + " key values, the plan " +
                             std::to_string(task.keyColumns.size()) + " key columns");
    }
    std::vector<std::string> endParams = {std::to_string(size)};
    append(endParams, cursor.lastKey);
    append(endParams, bound);
    const pqxx::result end = tx.exec_params(first ? task.firstBatchEndSql : task.nextBatchEndSql,
                                            pqxx::prepare::make_dynamic_params(endParams));
    if (end.empty()) {
      cursor.finished = true;  // the keyset pass is over; the sweep follows
      more = false;
    } else {
      if (end[0].size() != 1 + task.keyColumns.size()) {
        throw std::logic_error("backfill batch end of " + task.table + " returned " +
                               std::to_string(end[0].size()) + " columns, expected " +
                               std::to_string(1 + task.keyColumns.size()));
      }
      const std::vector<std::string> lastKey = textRow(end[0], 1);
      std::vector<std::string> updateParams = {backfill_.defaultTenantId};
      append(updateParams, cursor.lastKey);
      append(updateParams, lastKey);
      const std::string& sql = first ? inMode(task.firstBatchSql, task.firstBatchSqlUntouched)
                                     : inMode(task.nextBatchSql, task.nextBatchSqlUntouched);
      const pqxx::result updated =
          tx.exec_params(sql, pqxx::prepare::make_dynamic_params(updateParams));
      cursor.rowsDone += updated.empty() ? 0 : updated[0][0].as<std::int64_t>();
      cursor.rowsScanned += end[0][0].as<std::int64_t>();
      cursor.lastKey = lastKey;
      more = true;
    }
    ledger_.saveCursor(tx, task.table, cursor);
    progress.rowsUpdated = cursor.rowsDone;
    progress.rowsScanned = cursor.rowsScanned;
    ledger_.saveProgress(tx, progress);
    tx.commit();
    progress_ = progress;
  });
  return more;
}

std::int64_t BackfillRunner::sweep(const plan::Step& step, int size) {
  const plan::BackfillTask& task = *step.backfill;
  std::int64_t updated = 0;
  runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
    // A sweep statement holds row locks too.
    const analysis::WatchedBackend watched(lockWatcher(), connection.backendpid());
    pqxx::work tx(connection);
    applyBatchSettings(tx);
    takeParentMoveLock(tx, task);
    BackfillCursor cursor = ledger_.cursor(tx, task.table).value_or(BackfillCursor{});
    const pqxx::result result =
        tx.exec_params(inMode(task.sweepSql, task.sweepSqlUntouched),
                       std::to_string(std::max(1, size)), backfill_.defaultTenantId);
    updated = result.empty() || result[0][0].is_null() ? 0 : result[0][0].as<std::int64_t>();
    cursor.rowsDone += updated;
    if (task.keyColumns.empty()) {
      cursor.rowsScanned += updated;  // without keys, progress is the rows filled
    }
    ledger_.saveCursor(tx, task.table, cursor);
    BackfillProgress progress = progress_;
    progress.rowsUpdated = cursor.rowsDone;
    progress.rowsScanned = cursor.rowsScanned;
    ledger_.saveProgress(tx, progress);
    tx.commit();
    progress_ = progress;
  });
  return updated;
}

void BackfillRunner::decide(const plan::Step& step, int requested, std::int64_t scanned,
                            std::optional<std::chrono::microseconds> took) {
  if (took) {
    if (requested > 0) {
      sizer_->observe(requested, scanned, *took);
    }
    spdlog::trace("backfill batch table={} requested={} scanned={} ms={:.1f}", step.backfill->table,
                  requested, scanned, static_cast<double>(took->count()) / 1000.0);
  }
  analysis::ThrottleInputs inputs;
  inputs.now = clock_.now();
  inputs.proposedBatch = sizer_->next();
  inputs.lastBatchDuration = took;
  if (backfill_.throttle && watch_) {
    const ThrottleConfig& config = *backfill_.throttle;
    inputs.samples = watch_->sampler().newest(2 * config.controller.windowSamples);
    inputs.probeRunningSince = watch_->sampler().runningSince();
    inputs.lockWaits = watch_->locks().take();
    if (config.controller.maxReplicationLag) {
      analysis::ReplicationLagReading lag;
      runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
        pqxx::read_transaction tx(connection);
        lag = analysis::readReplicationLag(tx);
      });
      inputs.replicationLag = lag.worstReplayLag;
      if (lag.hidden && !lagHiddenWarned_) {
        lagHiddenWarned_ = true;
        spdlog::warn(
            "backfill cannot see the replication lag of its {} standby(s): the runner needs "
            "pg_monitor (or pg_read_all_stats) to read pg_stat_replication; it is not throttled "
            "on replication lag until then",
            lag.standbys);
      }
    }
  }
  const analysis::ThrottleDecision previous = decision_;
  decision_ = throttle_->decide(inputs);
  rate_->observe(inputs.now, progress_.rowsScanned);
  progress_.rowsPerSecond = rate_->perSecond();
  progress_.eta = rate_->timeFor(progress_.estimatedTotal - progress_.rowsScanned);
  progress_.batchSize = decision_.batchSize;
  progress_.pause = decision_.pause;
  progress_.state = decision_.state;
  progress_.reason = decision_.reason;
  if (previous.state != decision_.state || previous.level != decision_.level) {
    spdlog::info(
        "backfill throttle table={} state={} level={} batch_size={} pause_ms={} reason=\"{}\"",
        step.backfill->table, analysis::toString(decision_.state), decision_.level,
        decision_.batchSize, decision_.pause.count(), decision_.reason);
    // A change of state is in the ledger at once, not only with the next batch.
    runWithRetries(step, session_, settings_, observer_, [&](pqxx::connection& connection, int) {
      pqxx::work tx(connection);
      saveProgress(tx);
      tx.commit();
    });
  }
}

void BackfillRunner::stopIfRequested(const plan::Step& step) const {
  // Every batch commits with its cursor: between two of them the backfill resumes exactly here.
  settings_.checkpoint("between backfill batches of " + step.backfill->table + " (step " + step.id +
                       ", " + std::to_string(progress_.rowsUpdated) + " rows filled so far)");
}

void BackfillRunner::pace(const plan::Step& step) {
  for (;;) {
    stopIfRequested(step);
    settings_.sleepFor(decision_.wait());
    if (decision_.batchAfterWait()) {
      // Served: pacing again before the next decision (the keyset pass ended, the sweep starts)
      // does not wait a second time.
      decision_.pause = std::chrono::milliseconds(0);
      stopIfRequested(step);
      return;
    }
    decide(step, 0, 0, std::nullopt);
    report(step);
  }
}

void BackfillRunner::report(const plan::Step& step) {
  observer_.backfillProgress(step, progress_);
}

}  // namespace tenantshift::engine
