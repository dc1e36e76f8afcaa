#include "controller/decide.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>

#include "api/content_hash.h"

namespace tenantshift::controller {

namespace {

using std::chrono::seconds;

constexpr seconds kProgressInterval{10};  // status is never older than 15 s while a Job runs
constexpr seconds kRetryInterval{30};     // a Secret, the database, a dependency
constexpr seconds kLockHeldInterval{15};

struct PhaseCondition {
  plan::Phase phase;
  const char* type;
};
constexpr std::array<PhaseCondition, 5> kPhaseConditions = {{
    {plan::Phase::Schema, "SchemaApplied"},
    {plan::Phase::Backfill, "Backfilled"},
    {plan::Phase::Constraints, "ConstraintsApplied"},
    {plan::Phase::Rls, "RLSEnabled"},
    {plan::Phase::Verify, "IsolationVerified"},
}};

const char* kReady = "Ready";
const char* kReconciling = "Reconciling";
const char* kStalled = "Stalled";

// "lock-held" -> "LockHeld": an outcome as a condition reason.
std::string camelCase(const std::string& outcome) {
  std::string out;
  bool upper = true;
  for (char c : outcome) {
    if (c == '-' || c == '_' || c == ' ') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

const PhaseProgress* progressOf(const LedgerView& ledger, plan::Phase phase) {
  const auto it = std::find_if(ledger.phases.begin(), ledger.phases.end(),
                               [&](const PhaseProgress& p) { return p.phase == phase; });
  return it == ledger.phases.end() ? nullptr : &*it;
}

bool phaseDone(const LedgerView& ledger, plan::Phase phase) {
  const PhaseProgress* progress = progressOf(ledger, phase);
  return progress == nullptr || progress->complete();
}

// The first engine phase with a step the ledger does not record as done.
std::optional<plan::Phase> nextPhase(const LedgerView& ledger) {
  for (plan::Phase phase : plan::kPhases) {
    if (!phaseDone(ledger, phase)) {
      return phase;
    }
  }
  return std::nullopt;
}

class StatusBuilder {
 public:
  StatusBuilder(const Observation& observed) : observed_(observed), status_(observed.status) {
    status_.observedGeneration = observed.generation;
  }

  void condition(const std::string& type, bool value, const std::string& reason,
                 const std::string& message) {
    setCondition(status_.conditions,
                 {type, value ? "True" : "False", reason, message, observed_.generation, ""},
                 observed_.now);
  }

  // Ready, Reconciling and Stalled (kstatus) for one state of the migration.
  void summary(const std::string& phase, bool ready, bool reconciling, bool stalled,
               const std::string& reason, const std::string& message) {
    status_.phase = phase;
    status_.message = message;
    condition(kReady, ready, ready ? "Enforced" : reason, message);
    condition(kReconciling, reconciling, reconciling ? reason : (ready ? "Enforced" : reason),
              message);
    condition(kStalled, stalled, stalled ? reason : "NoError",
              stalled ? message : "nothing is stuck");
  }

  MigrationStatus& status() { return status_; }

 private:
  const Observation& observed_;
  MigrationStatus status_;
};

// The ledger's record in status: plan hash, step counts, backfill rows, phase times and the
// per-phase conditions. progressObservedAt is now when a Job runs (its progress is what people
// watch) or when anything read from the ledger changed; a ledger that changed nothing while
// nothing runs leaves it, so that a reconcile with nothing new writes nothing.
void recordLedger(StatusBuilder& builder, const LedgerView& ledger, bool jobRunning,
                  const std::string& now) {
  MigrationStatus& status = builder.status();
  const MigrationStatus before = status;
  if (!status.planHash.empty() && status.planHash != ledger.planHash) {
    status.previousPlanHash = status.planHash;
  }
  status.planHash = ledger.planHash;
  status.stepsDone = 0;
  status.stepsTotal = 0;
  status.phases.clear();
  for (const PhaseProgress& p : ledger.phases) {
    status.stepsDone += p.done;
    status.stepsTotal += p.total;
    status.phases.push_back({phaseTitle(p.phase), p.startedAt, p.complete() ? p.finishedAt : ""});
  }
  status.backfill = ledger.backfill;
  std::ostringstream progress;
  progress << status.stepsDone << "/" << status.stepsTotal << " steps";
  for (const TableProgress& t : ledger.backfill) {
    if (!t.finished && t.rowsDone > 0) {
      progress << ", " << t.table << " " << t.rowsDone << "/" << t.rowsTotal << " rows";
    }
  }
  status.progress = progress.str();
  const bool changed = status.stepsDone != before.stepsDone ||
                       status.stepsTotal != before.stepsTotal || status.phases != before.phases ||
                       status.backfill != before.backfill || status.progress != before.progress;
  if (jobRunning || changed || status.progressObservedAt.empty()) {
    status.progressObservedAt = now;
  }
  for (const PhaseCondition& pc : kPhaseConditions) {
    const PhaseProgress* p = progressOf(ledger, pc.phase);
    const bool empty = p == nullptr || p->total == 0;
    const bool done = empty || p->complete();
    const std::string name(plan::toString(pc.phase));
    builder.condition(pc.type, done, done ? (empty ? "NoSteps" : "PhaseDone") : "PhasePending",
                      empty ? "phase " + name + " has no steps"
                            : "phase " + name + ": " + std::to_string(p->done) + "/" +
                                  std::to_string(p->total) + " steps done");
  }
  const bool flipped = ledger.flagOnPlanned ? ledger.flagOnDone : ledger.enforceDone;
  builder.condition("FlagFlipped", flipped, flipped ? "FlagOn" : "FlagOff",
                    ledger.flagOnPlanned ? (flipped ? "the feature flag is on" : "not yet")
                                         : "no SQL feature flag in the spec; enforcement is the "
                                           "flag phase");
  builder.condition("Enforced", ledger.enforceDone, ledger.enforceDone ? "Enforced" : "NotYet",
                    ledger.enforceDone ? "the policies are strict: no tenant set, no rows"
                                       : "the policies are permissive while no tenant is set");
}

// The reasons of Reconciling that are news to whoever watches Events: the run was stopped or
// is waiting for another runner.
bool eventfulReconcilingReason(const std::string& reason) {
  return reason == "LockHeld" || reason == "Interrupted";
}

// Events for real transitions only: a condition that became True (a phase condition only when
// the phase had steps: "NoSteps" is no news), a migration that became Stalled or is Stalled for
// another reason now, and a run that was interrupted or found the lock held.
void transitionEvents(const MigrationStatus& before, const MigrationStatus& after,
                      Decision& decision) {
  for (const Condition& c : after.conditions) {
    const Condition* old = findCondition(before.conditions, c.type);
    const bool wasTrue = old != nullptr && old->status == "True";
    const bool reasonChanged = old == nullptr || !wasTrue || old->reason != c.reason;
    if (c.status != "True") {
      continue;
    }
    if (c.type == kReconciling) {
      if (eventfulReconcilingReason(c.reason) && reasonChanged) {
        decision.events.push_back(
            {c.reason == "LockHeld" ? "Warning" : "Normal", c.reason, c.message});
      }
      continue;
    }
    if (c.type == kStalled) {
      if (reasonChanged) {
        decision.events.push_back({"Warning", c.reason, c.message});
      }
      continue;
    }
    if (!wasTrue && c.reason != "NoSteps") {
      decision.events.push_back({"Normal", c.type, c.message});
    }
  }
}

// A Job that is running its phase (Active, not being deleted).
const ObservedJob* activeJob(const Observation& observed) {
  for (const ObservedJob& job : observed.jobs) {
    if (job.state == JobState::Active && !job.deleting) {
      return &job;
    }
  }
  return nullptr;
}

// A Job that was deleted while it ran: its pod is stopping (between steps), and may hold the
// runner lock until it has.
const ObservedJob* stoppingJob(const Observation& observed) {
  for (const ObservedJob& job : observed.jobs) {
    if (job.state == JobState::Active && job.deleting) {
      return &job;
    }
  }
  return nullptr;
}

const ObservedJob* jobFor(const Observation& observed, const std::string& name) {
  for (const ObservedJob& job : observed.jobs) {
    if (job.name == name) {
      return &job;
    }
  }
  return nullptr;
}

std::string logsHint(const std::string& job) {
  return " (kubectl logs job/" + job + ")";
}

// A Job whose run may succeed when tried again later: it is kept (with its logs) until `wait` has
// passed since it ended, then deleted so that the next reconcile creates it anew.
void retryLater(const ObservedJob& job, seconds wait, Decision& decision) {
  const seconds left = wait - seconds{job.finishedSecondsAgo};
  if (left > seconds{0}) {
    decision.requeueAfter = left;
    return;
  }
  decision.deleteJobs.push_back({job.name});
  decision.requeueAfter = seconds{1};
}

void decideFailedJob(const ObservedJob& job, StatusBuilder& builder, Decision& decision) {
  const std::string outcome = job.summary ? job.summary->outcome : "";
  const std::string detail =
      job.summary && !job.summary->message.empty() ? job.summary->message : job.failure;
  if (outcome == "lock-held") {
    // Another runner (a CLI, an older Job) holds the database: not a failure, try again.
    builder.summary(builder.status().phase, false, true, false, "LockHeld",
                    "another runner holds the migration's lock: " + detail + "; retrying every " +
                        std::to_string(kLockHeldInterval.count()) + "s");
    retryLater(job, kLockHeldInterval, decision);
    return;
  }
  if (outcome == "paused") {
    // Stopped by SIGTERM (an eviction or a node drain): resumable, run it again now.
    decision.deleteJobs.push_back({job.name});
    builder.summary(builder.status().phase, false, true, false, "Interrupted",
                    "Job " + job.name + " was stopped between steps; running the phase again");
    decision.requeueAfter = seconds{1};
    return;
  }
  const std::string reason = outcome.empty() ? "JobFailed" : camelCase(outcome);
  const std::string phase = job.phase ? std::string(plan::toString(*job.phase)) : "?";
  const std::string message =
      "phase " + phase + " failed in Job " + job.name + ": " + detail + logsHint(job.name);
  if (outcome == "database-unreachable") {
    // It may come back: retry with a new Job, and say so meanwhile.
    builder.summary(kPhaseStalled, false, false, true, reason,
                    message + "; retrying every " + std::to_string(kRetryInterval.count()) + "s");
    retryLater(job, kRetryInterval, decision);
    return;
  }
  // Everything else needs a person: a new spec (generation) gets a new Job.
  builder.summary(kPhaseStalled, false, false, true, reason,
                  message + "; fix the cause, then change the spec or delete the Job to retry");
}

std::string dependencyWait(const std::vector<Dependency>& dependencies) {
  std::string waiting;
  for (const Dependency& d : dependencies) {
    if (!d.ready) {
      waiting +=
          (waiting.empty() ? "" : ", ") + d.name + (d.found ? " (not Ready)" : " (not found)");
    }
  }
  return waiting;
}

std::string approvalMessage(const OperatorSpec& spec, const MigrationStatus& status) {
  if (spec.approvedPlan.empty()) {
    return "the plan awaits approval: set spec.approvedPlan to " + status.planHash +
           " (review it with `tenantshift plan`)";
  }
  if (spec.approvedPlan == status.previousPlanHash) {
    return "spec.approvedPlan is " + spec.approvedPlan +
           ", the hash of an earlier plan: the plan changed since it was approved (the schema or "
           "the spec changed; it is now " +
           status.planHash + "); review it with `tenantshift plan` and approve the new hash";
  }
  return "spec.approvedPlan " + spec.approvedPlan + " does not match the plan hash in " +
         "status.planHash (" + status.planHash +
         "); check it for a typo, or review the plan with `tenantshift plan` and approve its hash";
}

// Deleting: stop the running Jobs (their pods stop between steps; the runner lock goes with
// them) and drop the finalizer only once no Job runs and none of the migration's pods is left
// running. Nothing is done to the database.
Decision decideDeletion(const Observation& observed) {
  Decision decision;
  std::string waitingFor;
  for (const ObservedJob& job : observed.jobs) {
    if (job.state != JobState::Active) {
      continue;
    }
    if (!job.deleting) {
      decision.deleteJobs.push_back({job.name});
    }
    waitingFor += (waitingFor.empty() ? "Job " : ", Job ") + job.name;
  }
  for (const std::string& pod : observed.livePods) {
    waitingFor += (waitingFor.empty() ? "pod " : ", pod ") + pod;
  }
  if (waitingFor.empty()) {
    decision.removeFinalizer = observed.hasFinalizer;
    return decision;
  }
  decision.requeueAfter = seconds{2};
  if (observed.hasFinalizer) {
    StatusBuilder builder(observed);
    builder.summary(
        kPhaseDeleting, false, true, false, "Deleting",
        "deleting: waiting for " + waitingFor + " to stop; the database is left as it is");
    if (builder.status() != observed.status) {
      decision.status = builder.status();
    }
  }
  return decision;
}

// A Job runs its phase: the migration is Reconciling, whatever else the operator cannot see
// now (the spec became invalid, the Secret or the database cannot be read); only spec.paused
// stops it.
void decideRunning(const Observation& observed, const ObservedJob& running, StatusBuilder& builder,
                   Decision& decision) {
  builder.status().currentJob = running.name;
  if (observed.ledger) {
    recordLedger(builder, *observed.ledger, true, observed.now);
  }
  if (observed.spec && observed.spec->paused) {
    decision.deleteJobs.push_back({running.name});
    builder.summary(kPhasePaused, false, false, false, "Paused",
                    "spec.paused is true: stopping Job " + running.name +
                        " between steps; set it to false to resume");
    decision.requeueAfter = seconds{2};
    return;
  }
  const std::string phase = running.phase ? phaseTitle(*running.phase) : kPhasePending;
  std::string message =
      "running phase " + phase + " in Job " + running.name + ", " + builder.status().progress;
  if (!observed.spec) {
    message += "; the spec is invalid (" + observed.specError +
               "): no later phase starts until it is fixed";
  } else if (observed.problem) {
    message += "; progress as of " + builder.status().progressObservedAt +
               ": the operator cannot read it now (" + observed.problem->message + ")";
  }
  builder.summary(phase, false, true, false, "PhaseRunning", message);
  decision.requeueAfter = kProgressInterval;
}

}  // namespace

std::string phaseTitle(plan::Phase phase) {
  switch (phase) {
    case plan::Phase::Schema:
      return "Schema";
    case plan::Phase::Backfill:
      return "Backfill";
    case plan::Phase::Constraints:
      return "Constraints";
    case plan::Phase::Rls:
      return "RLS";
    case plan::Phase::Verify:
      return "Verify";
    case plan::Phase::Flag:
      return "Flag";
  }
  return "Unknown";
}

std::string jobName(const std::string& migration, plan::Phase phase, std::int64_t generation) {
  const std::string suffix =
      "-" + std::string(plan::toString(phase)) + "-g" + std::to_string(generation);
  constexpr std::size_t kMax = 63;
  if (migration.size() + suffix.size() <= kMax) {
    return migration + suffix;
  }
  const std::string hash = api::contentHash(migration).substr(0, 8);
  const std::size_t keep = kMax - suffix.size() - hash.size() - 1;
  return migration.substr(0, keep) + "-" + hash + suffix;
}

Decision decide(const Observation& observed) {
  if (observed.deleting) {
    return decideDeletion(observed);
  }
  Decision decision;
  decision.addFinalizer = !observed.hasFinalizer;
  StatusBuilder builder(observed);

  auto finish = [&]() {
    transitionEvents(observed.status, builder.status(), decision);
    if (builder.status() != observed.status) {
      decision.status = builder.status();
    }
    return decision;
  };

  if (const ObservedJob* running = activeJob(observed); running != nullptr) {
    decideRunning(observed, *running, builder, decision);
    return finish();
  }
  builder.status().currentJob.clear();

  if (!observed.spec) {
    builder.summary(kPhaseStalled, false, false, true, "InvalidSpec", observed.specError);
    return finish();
  }
  const OperatorSpec& spec = *observed.spec;
  if (observed.problem) {
    builder.summary(kPhaseStalled, false, false, true, observed.problem->reason,
                    observed.problem->message);
    if (observed.problem->retry) {
      decision.requeueAfter = kRetryInterval;
    }
    return finish();
  }
  const LedgerView& ledger = *observed.ledger;
  recordLedger(builder, ledger, false, observed.now);
  const std::optional<plan::Phase> next = nextPhase(ledger);

  if (!next) {
    builder.summary(
        kPhaseReady, true, false, false, "Enforced",
        "every table is tenant-scoped, verified and enforced (" + builder.status().progress + ")");
    return finish();
  }
  // A Job deleted while it ran (paused, retried, or replaced by a new spec) must be gone, and
  // its pod with it, before the next one starts: until then it may hold the runner lock.
  if (const ObservedJob* stopping = stoppingJob(observed); stopping != nullptr) {
    const std::string wait = "Job " + stopping->name + " is stopping between steps";
    if (spec.paused) {
      builder.summary(kPhasePaused, false, false, false, "Paused",
                      "spec.paused is true: " + wait + "; set it to false to resume");
    } else {
      builder.summary(builder.status().phase, false, true, false, "JobStopping",
                      wait + "; the next one starts once it has");
    }
    decision.requeueAfter = seconds{2};
    return finish();
  }
  if (spec.paused) {
    builder.summary(kPhasePaused, false, false, false, "Paused",
                    "spec.paused is true; the next phase is " + phaseTitle(*next));
    return finish();
  }
  if (spec.requireApproval && spec.approvedPlan != ledger.planHash) {
    builder.summary(kPhaseAwaitingApproval, false, true, false, "AwaitingApproval",
                    approvalMessage(spec, builder.status()));
    // The plan is made from the live schema until the first step: a schema change changes its
    // hash, and status.planHash must show the plan that would run.
    decision.requeueAfter = kRetryInterval;
    return finish();
  }
  if (const std::string waiting = dependencyWait(observed.dependencies); !waiting.empty()) {
    builder.summary(kPhaseWaitingForDependencies, false, true, false, "WaitingForDependencies",
                    "waiting for TenantMigration(s) " + waiting + " to be Ready (spec.dependsOn)");
    decision.requeueAfter = kRetryInterval;
    return finish();
  }

  const std::string name = jobName(observed.name, *next, observed.generation);
  if (const ObservedJob* job = jobFor(observed, name); job != nullptr && !job->deleting) {
    if (job->state == JobState::Failed) {
      builder.status().phase = phaseTitle(*next);
      decideFailedJob(*job, builder, decision);
      return finish();
    }
    // Succeeded, yet the ledger does not have the phase done: someone rolled it back or the
    // Job ran against another database. A person must look.
    builder.summary(kPhaseStalled, false, false, true, "LedgerDisagrees",
                    "Job " + name + " succeeded but the ledger does not record phase " +
                        phaseTitle(*next) +
                        " as done (rolled back since?); delete the Job to run the phase again");
    return finish();
  }
  if (const ObservedJob* job = jobFor(observed, name); job != nullptr && job->deleting) {
    decision.requeueAfter = seconds{2};  // wait until it is gone, then create it anew
    return finish();
  }
  decision.createJob = CreateJob{*next, name};
  builder.status().currentJob = name;
  builder.status().progressObservedAt = observed.now;
  builder.summary(
      phaseTitle(*next), false, true, false, "PhaseRunning",
      "starting phase " + phaseTitle(*next) + " in Job " + name + ", " + builder.status().progress);
  if (observed.status.currentJob != name) {
    // Not again when the Job cache has yet to show the Job the last reconcile created.
    decision.events.push_back(
        {"Normal", "PhaseStarted", "phase " + phaseTitle(*next) + " started in Job " + name});
  }
  decision.requeueAfter = kProgressInterval;
  return finish();
}

}  // namespace tenantshift::controller
