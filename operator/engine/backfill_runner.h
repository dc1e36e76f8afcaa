#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/batch_size_controller.h"
#include "analysis/clock.h"
#include "analysis/probe.h"
#include "analysis/rate_estimator.h"
#include "analysis/throttle_controller.h"
#include "api/migration_spec.h"
#include "engine/backfill_progress.h"
#include "engine/backfill_watch.h"
#include "engine/execution.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "plan/step.h"

namespace tenantshift::engine {

// spec.backfill (and what else the backfill needs from the spec), as the runner uses it.
struct BackfillSettings {
  analysis::BatchSizing sizing;
  std::optional<ThrottleConfig> throttle;  // absent: spec.backfill.throttle.enabled is false
  std::string schema = "public";
  std::string tenantColumn = "tenant_id";
  std::string defaultTenantId;
  std::string appRole;                  // the latency probe runs as this role
  analysis::ConnectionFactory connect;  // opens the throttle's own connections
};

// The settings of `spec`; `connect` opens a connection to the migration's database.
BackfillSettings backfillSettingsFor(const api::MigrationSpec& spec,
                                     analysis::ConnectionFactory connect);

// Runs a Backfill step's BackfillTask: keyset batches from the cursor recorded in the ledger,
// each batch and its cursor (and progress) in one short transaction (with lock_timeout), so a
// run killed at any point resumes exactly after the last committed batch without repeating or
// losing rows; then the sweep until it updates nothing; then the step is done with rows = every
// row the backfill updated (across resumed runs).
//
// Batches are sized by analysis::BatchSizeController (a target duration, or a fixed size) and
// paced by analysis::ThrottleController, which watches the application's latency through a
// probe (against a baseline taken before the first batch), the standbys' replication lag and
// the lock waits each batch causes. `ExecutionSettings::backfillPause` is the minimum pause.
//
// When the runner may set session_replication_role (a superuser, or GRANT SET ON PARAMETER),
// batches run with it set to replica: the application's row triggers (an audit trigger, a
// `last_update = now()` trigger) do not fire for the backfill's updates, and neither does the
// per-row foreign-key check of the new tenant column (safe: the constraints phase validates
// every row). Triggers marked ENABLE ALWAYS still fire. Otherwise batches run as before and a
// warning says that the application's triggers fire.
//
// One runner serves the backfill steps of a run (one baseline for all of them). Its watch (the
// probe's and the lock watch's connections and threads) lives as long as the runner: the engine
// keeps a runner for the backfill phase only, so that nothing probes the database while the
// later phases' DDL runs.
class BackfillRunner {
 public:
  BackfillRunner(Session& session, const Ledger& ledger, const ExecutionSettings& settings,
                 RunObserver& observer, BackfillSettings backfill,
                 const analysis::Clock& clock = defaultClock());

  // Watches with `watch` instead of starting one (a test that needs to see the probe's samples
  // keeps a reference to it; it lives as long as the runner).
  void useWatch(std::unique_ptr<BackfillWatch> watch) { watch_ = std::move(watch); }

  // Returns the total rows updated. Failures are recorded and thrown as EngineError; a stop
  // requested through ExecutionSettings::stop ends it between two batches with an EngineError
  // of Outcome::Paused, the step left running for the caller to mark interrupted.
  std::int64_t run(const plan::Step& step);

 private:
  static const analysis::Clock& defaultClock();

  // Once per runner: whether batches may run as replica, the watch and its baseline.
  void prepare(const plan::Step& step);
  // Throws EngineError naming spec.backfill.throttle when the runner may not SET ROLE to the
  // application role (the latency probe runs as that role).
  void requireProbeRole(const plan::Step& step);
  void takeBaseline(const plan::Step& step);
  // Logs the application's row triggers that the table's batches fire; when there are any, the
  // batches run with the application's search_path (db::applicationSearchPath), so that they find
  // what they name. Decides touchSourceColumns_: not when a trigger that fires in this session's
  // mode is declared UPDATE OF one of the task's touchedColumns. Throws EngineError when one
  // that fires runs a function the application role may replace (it would run with the runner's
  // privileges).
  void inspectTriggers(const plan::Step& step);
  // Statistics of the tenant column, which the schema phase added after the table's last
  // ANALYZE: without them the planner takes `tenant_id IS NULL` for a handful of rows and joins a
  // batch's rows to the parents it locks by a nested loop over all of them, quadratic in the
  // batch size (measured: batches held at ~2,000 rows, 10,000 rows/s, until autovacuum's ANALYZE;
  // BENCHMARKS.md, issue 8).
  void analyzeTenantColumn(const plan::Step& step);
  // The key of the table's last row now (the keyset pass's end), or nullopt when it is empty.
  std::optional<std::vector<std::string>> upperBound(const plan::Step& step);
  // One keyset batch of `size` keys up to `bound`; false when the keyset pass is over.
  bool batch(const plan::Step& step, const std::vector<std::string>& bound, int size);
  // One sweep statement of at most `size` rows; returns the rows it updated.
  std::int64_t sweep(const plan::Step& step, int size);
  // Of a statement's two forms in the plan, the one this table's batches run: `touching` sets
  // the tenant source's columns to themselves, `untouched` does not (touchSourceColumns_).
  const std::string& inMode(const std::string& touching, const std::string& untouched) const {
    return touchSourceColumns_ ? touching : untouched;
  }
  // The statement that gives a batch's transaction its settings, and running it.
  std::string batchSettingsSql() const;
  // The parent's tenant-move lock, for a table whose tenant comes from its parent.
  static void takeParentMoveLock(pqxx::transaction_base& tx, const plan::BackfillTask& task);
  void applyBatchSettings(pqxx::transaction_base& tx) const;
  // The watcher of the lock waits our batches cause; null when that throttle is off.
  analysis::LockWaitWatcher* lockWatcher() const;
  void saveProgress(pqxx::transaction_base& tx) const;
  // After a batch that covered `scanned` keys in `took` (absent: no batch since the last
  // decision): the next batch's size and pause.
  void decide(const plan::Step& step, int requested, std::int64_t scanned,
              std::optional<std::chrono::microseconds> took);
  // Throws EngineError (Outcome::Paused) when a stop was requested: between batches only.
  void stopIfRequested(const plan::Step& step) const;
  // Waits the last decision's pause before the next batch: in pieces, deciding again after each
  // (a judgement during the pause may change the level, and with it the pause), and while paused
  // for lag, until a decision lets a batch run. Stops here when a stop was requested.
  void pace(const plan::Step& step);
  void report(const plan::Step& step);

  Session& session_;
  const Ledger& ledger_;
  const ExecutionSettings& settings_;
  RunObserver& observer_;
  BackfillSettings backfill_;
  const analysis::Clock& clock_;

  bool prepared_ = false;
  bool replica_ = false;
  bool lagHiddenWarned_ = false;
  // Of the table being backfilled, when its batches fire application triggers.
  std::optional<std::string> applicationSearchPath_;
  // Whether batches run the task's statements, which set BackfillTask::touchedColumns to
  // themselves, or (false) their *Untouched forms (inspectTriggers).
  bool touchSourceColumns_ = true;
  std::unique_ptr<BackfillWatch> watch_;
  std::optional<analysis::Baseline> baseline_;
  std::unique_ptr<analysis::ThrottleController> throttle_;
  // Of the table being backfilled:
  std::optional<analysis::BatchSizeController> sizer_;
  std::optional<analysis::RateEstimator> rate_;
  analysis::ThrottleDecision decision_;
  BackfillProgress progress_;
};

}  // namespace tenantshift::engine
