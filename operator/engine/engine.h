#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "engine/backfill_progress.h"
#include "engine/engine_error.h"
#include "engine/plan_progress.h"
#include "engine/run_observer.h"
#include "engine/step_state.h"
#include "engine/stop_request.h"
#include "engine/verify_report.h"
#include "flag/kubernetes_flag_switches.h"
#include "plan/plan.h"

namespace tenantshift::engine {

enum class RollbackScenario {
  FlagOff,     // (1) relax enforcement and turn the feature flag off
  DisableRls,  // (2) + drop the policies and disable row-level security
  Full,        // (3) + undo constraints, indexes, triggers, columns and the tenants table
};
std::optional<RollbackScenario> rollbackScenarioFromString(std::string_view name);
std::string_view toString(RollbackScenario scenario);

struct RunOptions {
  std::optional<plan::Phase> until;  // stop after this phase (inclusive); absent: all phases
  // Run only this phase: refused (Outcome::PrerequisitesMissing) while a step of an earlier
  // phase is not done; nothing to do when it is done already. Not together with `until`.
  std::optional<plan::Phase> only;
  // Checked between steps and between backfill batches: once requested, the run stops there
  // (EngineError with Outcome::Paused), the step it was in left pending and resumable.
  const StopRequest* stop = nullptr;
  // Run only if the plan's hash (plan::planHash) is this one: the plan a person approved. A
  // different plan (the schema or the spec changed since) is refused with Outcome::PlanDrift
  // before anything changes.
  std::optional<std::string> expectPlanHash;
};

// What the ledger holds about the last verification of a migration: the verdict the run's
// final message and the operator's status rely on.
struct VerificationRecord {
  bool passed = false;
  bool isolated = false;  // passed and no unaccepted exposure
  bool strict = false;    // made after enforcement
  std::string fingerprint;
  std::vector<std::string> unacceptedExposures;  // "check on object"
};

struct RunResult {
  bool complete = false;                     // every step through `until` is done
  int stepsExecuted = 0;                     // steps this run did (0: all were done already)
  std::optional<VerifyReport> verifyReport;  // when this run verified
  // The verification the run ends with (made now or earlier, for the schema as it is now);
  // absent when verify has not run yet.
  std::optional<VerificationRecord> verification;
};

struct StepStatus {
  std::string id;
  std::string phase;
  StepState state = StepState::Pending;
  // Running, but the runner that marked it is gone (killed, or its connection lost): nobody is
  // working on it; the next run resumes it.
  bool runnerGone = false;
  std::int64_t rows = 0;
  int attempts = 0;
  std::string startedAt;
  std::string finishedAt;
  std::int64_t durationMs = 0;
  std::string error;
};

struct BackfillCursorStatus {
  std::string table;
  std::vector<std::string> lastKey;
  std::int64_t rowsDone = 0;
  bool finished = false;
  std::optional<BackfillProgress> progress;  // absent for a backfill recorded before 005
};

struct MigrationStatus {
  bool started = false;  // the ledger has a record of this migration
  std::string name;
  std::string specHash;
  std::string startedAt;
  std::string updatedAt;
  std::vector<StepStatus> steps;
  std::vector<BackfillCursorStatus> cursors;
};

struct RollbackResult {
  std::vector<std::string> undoneSteps;  // ids, in the order they were undone
};

// The migration engine: plans from the live schema (or, once a migration has started, from the
// schema snapshot recorded in the ledger), runs steps, verifies and rolls back. Every public
// call opens its own connections and may be called in a fresh process at any time: all state
// lives in the ledger (schema `tenantshift` of the target database).
class Engine {
 public:
  // `flagSwitches` turns a feature flag outside the database (spec.featureFlag.configMap or
  // .deployment); empty: over the Kubernetes API, configured from $KUBECONFIG, the pod's service
  // account or ~/.kube/config (flag::kubernetesFlagSwitches).
  Engine(std::string databaseUrl, api::TenantMigration migration, RunObserver& observer,
         flag::FlagSwitchFactory flagSwitches = {});

  // The plan, without changing anything (no ledger is created).
  plan::Plan plan();
  // Takes the advisory lock, creates/updates the ledger, runs the steps not yet done.
  RunResult run(const RunOptions& options);
  // Runs the verifier now, outside the step sequence; changes nothing.
  VerifyReport verify();
  MigrationStatus status();
  // The plan's hash and how many of its steps the ledger records done (overall, per phase).
  PlanProgress progress();
  // Runs the down steps of the scenario in reverse order. Refuses Full when rows hold tenant
  // assignments the original derivation would not reproduce, unless allowDataLoss.
  RollbackResult rollback(RollbackScenario scenario, bool allowDataLoss);

 private:
  std::string databaseUrl_;
  api::TenantMigration migration_;
  RunObserver& observer_;
  flag::FlagSwitchFactory flagSwitches_;
};

}  // namespace tenantshift::engine
