#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/migration_status.h"
#include "controller/operator_spec.h"
#include "plan/step.h"

namespace tenantshift::controller {

// What a phase Job's `tenantshift` wrote to its termination message (see
// engine/outcome.h): the controller never parses logs.
struct TerminationSummary {
  std::string outcome;  // "completed", "paused", "lock-held", "verify-failed", ...
  int exitCode = 0;
  std::string message;
};

enum class JobState { Active, Succeeded, Failed };

// A Job this operator created for the migration (found by its labels).
struct ObservedJob {
  std::string name;
  std::optional<plan::Phase> phase;  // from its label
  std::int64_t generation = 0;       // of the TenantMigration it was created for
  JobState state = JobState::Active;
  bool deleting = false;  // metadata.deletionTimestamp is set
  std::optional<TerminationSummary> summary;
  std::string failure;                  // the Job's Failed condition: "BackoffLimitExceeded: ..."
  std::int64_t finishedSecondsAgo = 0;  // since its Complete or Failed condition became True
};

// One engine phase's steps in the ledger.
struct PhaseProgress {
  plan::Phase phase = plan::Phase::Schema;
  int total = 0;
  int done = 0;
  std::string startedAt;
  std::string finishedAt;

  bool complete() const { return done == total; }
  friend bool operator==(const PhaseProgress&, const PhaseProgress&) = default;
};

// The plan (made from the live schema, or the ledger's snapshot once started) and what the
// ledger records of it.
struct LedgerView {
  std::string planHash;
  std::vector<PhaseProgress> phases;  // every phase, in order
  bool flagOnPlanned = false;         // the plan has a flag/on step (spec.featureFlag.sql)
  bool flagOnDone = false;
  bool enforceDone = false;
  std::vector<TableProgress> backfill;
  friend bool operator==(const LedgerView&, const LedgerView&) = default;
};

// Why the operator cannot get at the database or its plan: reason (CamelCase) and message.
struct Problem {
  // SecretNotFound, SecretNotOptedIn, SecretKeyMissing, DatabaseUnreachable, PlanRefused,
  // ManifestConfigMapConflict
  std::string reason;
  std::string message;
  bool retry = true;  // false: nothing changes until the spec does
};

struct Dependency {
  std::string name;
  bool found = false;
  bool ready = false;
};

// Everything decide() looks at, gathered by the reconciler.
struct Observation {
  std::string name;
  std::string ns;
  std::int64_t generation = 0;
  bool deleting = false;
  bool hasFinalizer = false;
  std::optional<OperatorSpec> spec;  // absent when specError is set
  std::string specError;
  MigrationStatus status;  // as it is now
  std::vector<ObservedJob> jobs;
  // The migration's pods that have not ended (not Succeeded or Failed): a deleted Job's pod may
  // still run (and hold the runner lock) until it stops.
  std::vector<std::string> livePods;
  std::optional<Problem> problem;
  std::optional<LedgerView> ledger;  // absent when problem is set
  std::vector<Dependency> dependencies;
  std::string now;  // RFC 3339
};

}  // namespace tenantshift::controller
