#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "controller/migration_status.h"
#include "controller/observation.h"

namespace tenantshift::controller {

// status.phase values, besides the engine phases' names (Schema, Backfill, Constraints, RLS,
// Verify, Flag) while one runs.
inline constexpr const char* kPhasePending = "Pending";
inline constexpr const char* kPhaseAwaitingApproval = "AwaitingApproval";
inline constexpr const char* kPhaseWaitingForDependencies = "WaitingForDependencies";
inline constexpr const char* kPhasePaused = "Paused";
inline constexpr const char* kPhaseStalled = "Stalled";
inline constexpr const char* kPhaseReady = "Ready";
inline constexpr const char* kPhaseDeleting = "Deleting";

// The finalizer the operator keeps on every TenantMigration.
inline constexpr const char* kFinalizer = "tenantshift.dev/finalizer";

struct CreateJob {
  plan::Phase phase;
  std::string name;
};
struct DeleteJob {
  std::string name;
};
struct RecordEvent {
  std::string type;  // Normal or Warning
  std::string reason;
  std::string message;
};

// What the reconciler carries out, in this order: finalizer, Job deletions, Job creation,
// status, events; then requeue.
struct Decision {
  bool addFinalizer = false;
  bool removeFinalizer = false;
  std::vector<DeleteJob> deleteJobs;
  std::optional<CreateJob> createJob;
  std::optional<MigrationStatus> status;  // absent: leave it as it is
  std::vector<RecordEvent> events;
  // Reconcile again after this long even when nothing changes (progress, retries, waits on
  // other objects); absent: only when something changes.
  std::optional<std::chrono::seconds> requeueAfter;
};

// The phase Job's name: "<migration>-<phase>-g<generation>", shortened with a hash to fit 63
// characters.
std::string jobName(const std::string& migration, plan::Phase phase, std::int64_t generation);

// The status.phase name of an engine phase ("RLS" for rls).
std::string phaseTitle(plan::Phase phase);

// The whole controller's judgement: data in, decisions out, no I/O.
Decision decide(const Observation& observed);

}  // namespace tenantshift::controller
