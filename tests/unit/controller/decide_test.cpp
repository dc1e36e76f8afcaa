// decide(): every state a TenantMigration can be in, and what the operator does about it.
#include "controller/decide.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tenantshift::controller {
namespace {

using plan::Phase;
using std::chrono::seconds;

constexpr int kStepsPerPhase = 2;

// A migration "shop" in "apps" at generation 3, with its finalizer, an opted-in Secret, and a
// plan of two steps per phase of which `donePhases` phases are done.
Observation observation(int donePhases = 0) {
  Observation o;
  o.name = "shop";
  o.ns = "apps";
  o.generation = 3;
  o.hasFinalizer = true;
  o.spec = OperatorSpec{};
  o.spec->urlSecretRef = SecretKeyRef{"shop-db", "url"};
  LedgerView ledger;
  ledger.planHash = "0123456789abcdef";
  int index = 0;
  for (Phase phase : plan::kPhases) {
    PhaseProgress progress{phase, kStepsPerPhase, index < donePhases ? kStepsPerPhase : 0, "", ""};
    ledger.phases.push_back(progress);
    ++index;
  }
  ledger.enforceDone = donePhases == static_cast<int>(plan::kPhases.size());
  o.ledger = ledger;
  o.now = "2026-12-02T10:00:00Z";
  return o;
}

ObservedJob job(Phase phase, JobState state, std::int64_t generation = 3) {
  ObservedJob j;
  j.phase = phase;
  j.generation = generation;
  j.name = jobName("shop", phase, generation);
  j.state = state;
  return j;
}

ObservedJob failedJob(Phase phase, const std::string& outcome, const std::string& message,
                      std::int64_t finishedSecondsAgo = 0) {
  ObservedJob j = job(phase, JobState::Failed);
  j.summary = TerminationSummary{outcome, 0, message};
  j.failure = "BackoffLimitExceeded: Job has reached the specified backoff limit";
  j.finishedSecondsAgo = finishedSecondsAgo;
  return j;
}

const Condition& condition(const Decision& decision, const std::string& type) {
  static const Condition kMissing{"missing", "", "", "", 0, ""};
  if (!decision.status) {
    return kMissing;
  }
  const Condition* found = findCondition(decision.status->conditions, type);
  return found != nullptr ? *found : kMissing;
}

bool hasEvent(const Decision& decision, const std::string& reason) {
  return std::any_of(decision.events.begin(), decision.events.end(),
                     [&](const RecordEvent& e) { return e.reason == reason; });
}

// The status the API server would now hold, as the next reconcile reads it.
Observation after(Observation o, const Decision& decision, const std::string& now) {
  if (decision.status) {
    o.status = statusFromJson(toJson(*decision.status));
  }
  o.hasFinalizer = o.hasFinalizer || decision.addFinalizer;
  o.now = now;
  return o;
}

TEST(Decide, ANewMigrationGetsItsFinalizerAndItsSchemaJob) {
  Observation o = observation();
  o.hasFinalizer = false;
  const Decision d = decide(o);
  EXPECT_TRUE(d.addFinalizer);
  ASSERT_TRUE(d.createJob.has_value());
  EXPECT_EQ(d.createJob->phase, Phase::Schema);
  EXPECT_EQ(d.createJob->name, "shop-schema-g3");
  ASSERT_TRUE(d.status.has_value());
  EXPECT_EQ(d.status->phase, "Schema");
  EXPECT_EQ(d.status->currentJob, "shop-schema-g3");
  EXPECT_EQ(d.status->planHash, "0123456789abcdef");
  EXPECT_EQ(d.status->stepsTotal, 12);
  EXPECT_EQ(d.status->observedGeneration, 3);
  EXPECT_EQ(condition(d, "Reconciling").status, "True");
  EXPECT_EQ(condition(d, "Ready").status, "False");
  EXPECT_EQ(condition(d, "Stalled").status, "False");
  EXPECT_TRUE(hasEvent(d, "PhaseStarted"));
  EXPECT_EQ(d.requeueAfter, seconds{10});
}

TEST(Decide, EachPhaseStartsOnlyWhenTheLedgerHasTheOnesBeforeItDone) {
  for (int done = 0; done < static_cast<int>(plan::kPhases.size()); ++done) {
    Observation o = observation(done);
    // The Jobs of the phases before it succeeded.
    for (int i = 0; i < done; ++i) {
      o.jobs.push_back(job(plan::kPhases[i], JobState::Succeeded));
    }
    const Decision d = decide(o);
    ASSERT_TRUE(d.createJob.has_value()) << "after " << done << " phases";
    EXPECT_EQ(d.createJob->phase, plan::kPhases[done]);
    EXPECT_EQ(d.status->phase, phaseTitle(plan::kPhases[done]));
    EXPECT_TRUE(d.deleteJobs.empty());
  }
}

TEST(Decide, APhaseWithNoStepsIsSkipped) {
  Observation o = observation(1);
  o.ledger->phases[1].total = 0;  // nothing to backfill
  const Decision d = decide(o);
  ASSERT_TRUE(d.createJob.has_value());
  EXPECT_EQ(d.createJob->phase, Phase::Constraints);
}

TEST(Decide, WhileAJobRunsItReportsProgressAndCreatesNothing) {
  Observation o = observation(1);
  o.jobs.push_back(job(Phase::Backfill, JobState::Active));
  o.ledger->backfill.push_back({"orders", 4000, 10000, 2500.0, false, ""});
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value());
  EXPECT_TRUE(d.deleteJobs.empty());
  ASSERT_TRUE(d.status.has_value());
  EXPECT_EQ(d.status->phase, "Backfill");
  EXPECT_EQ(d.status->currentJob, "shop-backfill-g3");
  EXPECT_EQ(d.status->progress, "2/12 steps, orders 4000/10000 rows");
  EXPECT_NE(d.status->message.find("orders 4000/10000 rows"), std::string::npos);
  EXPECT_EQ(condition(d, "SchemaApplied").status, "True");
  EXPECT_EQ(condition(d, "Backfilled").status, "False");
  EXPECT_EQ(d.status->progressObservedAt, "2026-12-02T10:00:00Z");
  EXPECT_EQ(d.requeueAfter, seconds{10});
}

TEST(Decide, EveryPhaseDoneIsReadyWithEveryConditionTrue) {
  Observation o = observation(6);
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value());
  ASSERT_TRUE(d.status.has_value());
  EXPECT_EQ(d.status->phase, "Ready");
  EXPECT_EQ(d.status->currentJob, "");
  for (const char* type : {"Ready", "SchemaApplied", "Backfilled", "ConstraintsApplied",
                           "RLSEnabled", "IsolationVerified", "FlagFlipped", "Enforced"}) {
    EXPECT_EQ(condition(d, type).status, "True") << type;
  }
  EXPECT_EQ(condition(d, "Reconciling").status, "False");
  EXPECT_EQ(condition(d, "Stalled").status, "False");
  EXPECT_TRUE(hasEvent(d, "Ready"));
  EXPECT_FALSE(d.requeueAfter.has_value());
}

TEST(Decide, ItsOwnStatusReadBackChangesNothingAndKeepsTransitionTimes) {
  Observation o = observation(6);
  const Decision first = decide(o);
  ASSERT_TRUE(first.status.has_value());
  const Decision second = decide(after(o, first, "2026-12-02T10:05:00Z"));
  EXPECT_FALSE(second.status.has_value()) << "a reconcile that changes nothing must not write";
  EXPECT_TRUE(second.events.empty());
  EXPECT_FALSE(second.addFinalizer);
}

TEST(Decide, AConditionThatChangesGetsANewTransitionTimeTheOthersKeepTheirs) {
  Observation o = observation(0);
  const Decision first = decide(o);
  Observation next = after(o, first, "2026-12-02T10:07:00Z");
  next.ledger = observation(1).ledger;
  next.jobs.push_back(job(Phase::Schema, JobState::Succeeded));
  const Decision second = decide(next);
  EXPECT_EQ(condition(second, "SchemaApplied").lastTransitionTime, "2026-12-02T10:07:00Z");
  EXPECT_EQ(condition(second, "Backfilled").lastTransitionTime, "2026-12-02T10:00:00Z");
  EXPECT_TRUE(hasEvent(second, "SchemaApplied"));
}

TEST(Decide, AFailedJobStallsTheMigrationWithItsTerminationMessage) {
  Observation o = observation(4);
  o.jobs.push_back(failedJob(Phase::Verify, "verify-failed",
                             "isolation not proven: probe on orders could not run"));
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value());
  EXPECT_TRUE(d.deleteJobs.empty()) << "the failed Job stays, with its logs";
  ASSERT_TRUE(d.status.has_value());
  EXPECT_EQ(d.status->phase, "Stalled");
  EXPECT_EQ(condition(d, "Stalled").status, "True");
  EXPECT_EQ(condition(d, "Stalled").reason, "VerifyFailed");
  EXPECT_EQ(condition(d, "Reconciling").status, "False");
  const std::string& message = condition(d, "Stalled").message;
  EXPECT_NE(message.find("probe on orders could not run"), std::string::npos) << message;
  EXPECT_NE(message.find("kubectl logs job/shop-verify-g3"), std::string::npos) << message;
  const auto event = std::find_if(d.events.begin(), d.events.end(),
                                  [](const RecordEvent& e) { return e.reason == "VerifyFailed"; });
  ASSERT_NE(event, d.events.end());
  EXPECT_EQ(event->type, "Warning");
  EXPECT_FALSE(d.requeueAfter.has_value());
}

TEST(Decide, AFailedJobWithoutASummaryIsStalledWithTheJobsOwnReason) {
  Observation o = observation(2);
  ObservedJob failed = job(Phase::Constraints, JobState::Failed);
  failed.failure = "DeadlineExceeded: Job was active longer than specified deadline";
  o.jobs.push_back(failed);
  const Decision d = decide(o);
  EXPECT_EQ(condition(d, "Stalled").reason, "JobFailed");
  EXPECT_NE(condition(d, "Stalled").message.find("DeadlineExceeded"), std::string::npos);
}

TEST(Decide, EveryOutcomeThatNeedsAPersonStallsUntilTheSpecChanges) {
  for (const std::string outcome :
       {"failed", "invalid-input", "prerequisites-missing", "plan-drift", "data-loss-refused"}) {
    Observation o = observation(1);
    o.jobs.push_back(failedJob(Phase::Backfill, outcome, "what happened"));
    const Decision d = decide(o);
    EXPECT_EQ(condition(d, "Stalled").status, "True") << outcome;
    EXPECT_FALSE(d.createJob.has_value()) << outcome;
    EXPECT_TRUE(d.deleteJobs.empty()) << outcome;
    // A new generation of the spec gets a new Job.
    Observation changed = o;
    changed.generation = 4;
    const Decision retried = decide(changed);
    ASSERT_TRUE(retried.createJob.has_value()) << outcome;
    EXPECT_EQ(retried.createJob->name, "shop-backfill-g4");
  }
}

TEST(Decide, LockHeldIsRetriedAfterAWaitNotAFailure) {
  Observation o = observation(1);
  o.jobs.push_back(failedJob(Phase::Backfill, "lock-held", "runner cli-4711 holds the lock", 5));
  const Decision waiting = decide(o);
  EXPECT_TRUE(waiting.deleteJobs.empty());
  EXPECT_EQ(waiting.requeueAfter, seconds{10});
  EXPECT_EQ(condition(waiting, "Stalled").status, "False");
  EXPECT_EQ(condition(waiting, "Reconciling").reason, "LockHeld");
  EXPECT_NE(waiting.status->message.find("cli-4711"), std::string::npos);

  o.jobs.back().finishedSecondsAgo = 20;
  const Decision retry = decide(o);
  ASSERT_EQ(retry.deleteJobs.size(), 1U);
  EXPECT_EQ(retry.deleteJobs[0].name, "shop-backfill-g3");
  EXPECT_FALSE(retry.createJob.has_value()) << "created on the next reconcile, once it is gone";
}

TEST(Decide, AnInterruptedJobIsRunAgainAtOnce) {
  Observation o = observation(1);
  o.jobs.push_back(failedJob(Phase::Backfill, "paused", "stopped by SIGTERM between batches"));
  const Decision d = decide(o);
  ASSERT_EQ(d.deleteJobs.size(), 1U);
  EXPECT_EQ(condition(d, "Stalled").status, "False");
  EXPECT_EQ(condition(d, "Reconciling").reason, "Interrupted");
}

TEST(Decide, AnUnreachableDatabaseIsStalledAndRetried) {
  Observation o = observation(1);
  o.jobs.push_back(failedJob(Phase::Backfill, "database-unreachable", "connection refused", 40));
  const Decision d = decide(o);
  EXPECT_EQ(condition(d, "Stalled").reason, "DatabaseUnreachable");
  EXPECT_NE(condition(d, "Stalled").message.find("retrying"), std::string::npos);
  ASSERT_EQ(d.deleteJobs.size(), 1U);
}

TEST(Decide, AJobBeingDeletedIsWaitedForThenCreatedAnew) {
  Observation o = observation(1);
  ObservedJob deleting = failedJob(Phase::Backfill, "paused", "");
  deleting.deleting = true;
  o.jobs.push_back(deleting);
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value());
  EXPECT_EQ(d.requeueAfter, seconds{2});
}

TEST(Decide, ASucceededJobTheLedgerDisagreesWithIsStalled) {
  Observation o = observation(1);
  o.jobs.push_back(job(Phase::Backfill, JobState::Succeeded));
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value());
  EXPECT_EQ(condition(d, "Stalled").reason, "LedgerDisagrees");
}

TEST(Decide, PausedStopsTheRunningJobAndStartsNoOther) {
  Observation o = observation(1);
  o.spec->paused = true;
  o.jobs.push_back(job(Phase::Backfill, JobState::Active));
  const Decision stopping = decide(o);
  ASSERT_EQ(stopping.deleteJobs.size(), 1U);
  EXPECT_EQ(stopping.status->phase, "Paused");
  EXPECT_EQ(condition(stopping, "Stalled").status, "False");
  EXPECT_EQ(condition(stopping, "Reconciling").status, "False");

  o.jobs.clear();
  const Decision paused = decide(o);
  EXPECT_FALSE(paused.createJob.has_value());
  EXPECT_TRUE(paused.deleteJobs.empty());
  EXPECT_NE(paused.status->message.find("next phase is Backfill"), std::string::npos);

  o.spec->paused = false;
  const Decision resumed = decide(o);
  ASSERT_TRUE(resumed.createJob.has_value());
  EXPECT_EQ(resumed.createJob->phase, Phase::Backfill);
}

TEST(Decide, RequireApprovalHoldsThePlanUntilItsHashIsApproved) {
  Observation o = observation();
  o.spec->requireApproval = true;
  const Decision awaiting = decide(o);
  EXPECT_FALSE(awaiting.createJob.has_value());
  EXPECT_EQ(awaiting.status->phase, "AwaitingApproval");
  EXPECT_NE(awaiting.status->message.find("set spec.approvedPlan to 0123456789abcdef"),
            std::string::npos)
      << awaiting.status->message;
  // The plan comes from the live schema until the first step: its hash is read again.
  EXPECT_EQ(awaiting.requeueAfter, seconds{30});

  o.spec->approvedPlan = "0123456789abcdeg";  // a typo
  const Decision typo = decide(o);
  EXPECT_FALSE(typo.createJob.has_value());
  EXPECT_NE(typo.status->message.find("does not match the plan hash in status.planHash "
                                      "(0123456789abcdef)"),
            std::string::npos)
      << typo.status->message;

  o.spec->approvedPlan = "0123456789abcdef";
  const Decision approved = decide(o);
  ASSERT_TRUE(approved.createJob.has_value());
  EXPECT_EQ(approved.createJob->phase, Phase::Schema);
}

TEST(Decide, AnApprovalOfAPlanThatChangedSinceIsToldApartFromATypo) {
  Observation o = observation();
  o.spec->requireApproval = true;
  o.spec->approvedPlan = "fedcba9876543210";
  o.status.planHash = "fedcba9876543210";  // what status showed when it was approved
  const Decision changed = decide(o);
  EXPECT_FALSE(changed.createJob.has_value());
  ASSERT_TRUE(changed.status.has_value());
  EXPECT_EQ(changed.status->planHash, "0123456789abcdef");
  EXPECT_EQ(changed.status->previousPlanHash, "fedcba9876543210");
  EXPECT_NE(changed.status->message.find("the plan changed since it was approved"),
            std::string::npos)
      << changed.status->message;
  EXPECT_NE(changed.status->message.find("it is now 0123456789abcdef"), std::string::npos);

  // Read back on the next reconcile, it is still told apart.
  const Decision again = decide(after(o, changed, "2026-12-02T10:00:30Z"));
  EXPECT_FALSE(again.status.has_value()) << "nothing changed";
}

TEST(Decide, DependenciesMustBeReadyFirst) {
  Observation o = observation();
  o.spec->dependsOn = {"platform", "billing"};
  o.dependencies = {{"platform", true, false}, {"billing", false, false}};
  const Decision waiting = decide(o);
  EXPECT_FALSE(waiting.createJob.has_value());
  EXPECT_EQ(waiting.status->phase, "WaitingForDependencies");
  EXPECT_NE(waiting.status->message.find("platform (not Ready), billing (not found)"),
            std::string::npos)
      << waiting.status->message;
  EXPECT_EQ(waiting.requeueAfter, seconds{30});

  o.dependencies = {{"platform", true, true}, {"billing", true, true}};
  EXPECT_TRUE(decide(o).createJob.has_value());
}

TEST(Decide, AnInvalidSpecIsStalledWithTheFieldAndChangesNothing) {
  Observation o = observation();
  o.spec.reset();
  o.ledger.reset();
  o.specError = "spec.jobTemplate.backoffLimit: must be 0 or more, got -1";
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value());
  EXPECT_EQ(condition(d, "Stalled").reason, "InvalidSpec");
  EXPECT_EQ(condition(d, "Stalled").message, o.specError);
  EXPECT_FALSE(d.requeueAfter.has_value());
}

TEST(Decide, ASecretOrDatabaseProblemIsStalledAndRetriedWhenItMayClear) {
  Observation o = observation();
  o.ledger.reset();
  o.problem = Problem{"SecretNotOptedIn", "spec.database.urlSecretRef.name: not labelled", true};
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value());
  EXPECT_EQ(condition(d, "Stalled").reason, "SecretNotOptedIn");
  EXPECT_EQ(d.requeueAfter, seconds{30});

  o.problem->retry = false;
  EXPECT_FALSE(decide(o).requeueAfter.has_value());
}

TEST(Decide, DeletionStopsTheRunningJobsBeforeTheFinalizerGoes) {
  Observation o = observation(1);
  o.deleting = true;
  o.jobs.push_back(job(Phase::Backfill, JobState::Active));
  o.jobs.push_back(job(Phase::Schema, JobState::Succeeded));
  const Decision stopping = decide(o);
  ASSERT_EQ(stopping.deleteJobs.size(), 1U);
  EXPECT_EQ(stopping.deleteJobs[0].name, "shop-backfill-g3");
  EXPECT_FALSE(stopping.removeFinalizer);

  o.jobs[0].deleting = true;
  const Decision waiting = decide(o);
  EXPECT_TRUE(waiting.deleteJobs.empty());
  EXPECT_FALSE(waiting.removeFinalizer);

  o.jobs.erase(o.jobs.begin());
  const Decision done = decide(o);
  EXPECT_TRUE(done.removeFinalizer);
  EXPECT_FALSE(done.createJob.has_value());
}

TEST(Decide, FlagFlippedFollowsTheSqlFlagWhenThereIsOne) {
  Observation o = observation(5);
  o.ledger->flagOnPlanned = true;
  o.ledger->flagOnDone = true;
  o.ledger->phases[5].done = 1;
  o.jobs.push_back(job(Phase::Flag, JobState::Active));
  const Decision d = decide(o);
  EXPECT_EQ(condition(d, "FlagFlipped").status, "True");
  EXPECT_EQ(condition(d, "Enforced").status, "False");
}

TEST(Decide, APhaseWithNoStepsIsNoEvent) {
  Observation o = observation(0);
  o.ledger->phases[1].total = 0;  // nothing to backfill
  const Decision d = decide(o);
  EXPECT_EQ(condition(d, "Backfilled").status, "True");
  EXPECT_EQ(condition(d, "Backfilled").reason, "NoSteps");
  EXPECT_FALSE(hasEvent(d, "Backfilled")) << "nothing was backfilled";
  EXPECT_TRUE(hasEvent(d, "PhaseStarted"));

  // Once the schema phase is done, SchemaApplied is news; Backfilled still is not.
  Observation next = after(o, d, "2026-12-02T10:01:00Z");
  next.ledger->phases[0].done = 2;
  next.jobs.push_back(job(Phase::Schema, JobState::Succeeded));
  const Decision second = decide(next);
  EXPECT_TRUE(hasEvent(second, "SchemaApplied"));
  EXPECT_FALSE(hasEvent(second, "Backfilled"));
}

TEST(Decide, LockHeldAndInterruptedAreEventsOncePerOccurrence) {
  Observation o = observation(1);
  o.jobs.push_back(failedJob(Phase::Backfill, "lock-held", "runner cli-4711 holds the lock", 5));
  const Decision held = decide(o);
  ASSERT_TRUE(hasEvent(held, "LockHeld"));
  const auto event = std::find_if(held.events.begin(), held.events.end(),
                                  [](const RecordEvent& e) { return e.reason == "LockHeld"; });
  EXPECT_EQ(event->type, "Warning");
  EXPECT_FALSE(hasEvent(decide(after(o, held, "2026-12-02T10:00:05Z")), "LockHeld"))
      << "still the same wait";

  Observation interrupted = observation(1);
  interrupted.jobs.push_back(failedJob(Phase::Backfill, "paused", "stopped by SIGTERM"));
  EXPECT_TRUE(hasEvent(decide(interrupted), "Interrupted"));
}

TEST(Decide, AnotherReasonToBeStalledIsAnEvent) {
  Observation o = observation();
  o.ledger.reset();
  o.problem = Problem{"SecretNotFound", "spec.database.urlSecretRef.name: no Secret", true};
  const Decision first = decide(o);
  EXPECT_TRUE(hasEvent(first, "SecretNotFound"));
  Observation same = after(o, first, "2026-12-02T10:00:30Z");
  EXPECT_TRUE(decide(same).events.empty()) << "the same cause again is no news";
  same.problem = Problem{"SecretNotOptedIn", "spec.database.urlSecretRef.name: not labelled", true};
  const Decision second = decide(same);
  EXPECT_TRUE(hasEvent(second, "SecretNotOptedIn"));
  EXPECT_EQ(condition(second, "Stalled").lastTransitionTime, "2026-12-02T10:00:00Z")
      << "still Stalled: the transition time stays";
}

TEST(Decide, PauseStopsARunningJobWhateverElseIsWrong) {
  Observation o = observation(1);
  o.spec->paused = true;
  o.jobs.push_back(job(Phase::Backfill, JobState::Active));
  o.ledger.reset();
  o.problem = Problem{"DatabaseUnreachable", "cannot connect to the database: refused", true};
  const Decision d = decide(o);
  ASSERT_EQ(d.deleteJobs.size(), 1U);
  EXPECT_EQ(d.deleteJobs[0].name, "shop-backfill-g3");
  EXPECT_EQ(d.status->phase, "Paused");
  EXPECT_EQ(condition(d, "Stalled").status, "False");
}

TEST(Decide, ARunningJobIsNeverStalled) {
  Observation o = observation(1);
  o.jobs.push_back(job(Phase::Backfill, JobState::Active));
  o.status.progressObservedAt = "2026-12-02T09:59:50Z";
  o.ledger.reset();
  o.problem = Problem{"DatabaseUnreachable", "cannot connect to the database: refused", true};
  const Decision unreadable = decide(o);
  EXPECT_EQ(condition(unreadable, "Stalled").status, "False");
  EXPECT_EQ(condition(unreadable, "Reconciling").status, "True");
  EXPECT_EQ(unreadable.status->phase, "Backfill");
  EXPECT_NE(unreadable.status->message.find("progress as of 2026-12-02T09:59:50Z"),
            std::string::npos)
      << unreadable.status->message;
  EXPECT_NE(unreadable.status->message.find("refused"), std::string::npos);
  EXPECT_EQ(unreadable.status->progressObservedAt, "2026-12-02T09:59:50Z")
      << "what was not read is not fresh";
  EXPECT_EQ(unreadable.requeueAfter, seconds{10});

  Observation invalid = observation(1);
  invalid.jobs.push_back(job(Phase::Backfill, JobState::Active));
  invalid.spec.reset();
  invalid.specError = "spec.jobTemplate.backoffLimit: must be 0 or more, got -1";
  const Decision d = decide(invalid);
  EXPECT_EQ(condition(d, "Stalled").status, "False");
  EXPECT_EQ(condition(d, "Reconciling").status, "True");
  EXPECT_NE(d.status->message.find("backoffLimit"), std::string::npos);
  EXPECT_TRUE(d.deleteJobs.empty());
}

// Item: progress in status is never more than 15 s old while a backfill runs: while any Job
// runs, each reconcile observes progress now and comes back within 10 s.
TEST(Decide, WhileAJobRunsProgressIsObservedNowAndReadAgainWithinTenSeconds) {
  for (std::size_t done = 0; done < plan::kPhases.size(); ++done) {
    Observation o = observation(static_cast<int>(done));
    o.jobs.push_back(job(plan::kPhases[done], JobState::Active));
    o.status.progressObservedAt = "2026-12-02T09:00:00Z";
    o.ledger->backfill.push_back({"orders", 10, 100, 5.0, false, ""});
    const Decision d = decide(o);
    ASSERT_TRUE(d.status.has_value()) << done;
    EXPECT_EQ(d.status->progressObservedAt, o.now) << done;
    ASSERT_TRUE(d.requeueAfter.has_value()) << done;
    EXPECT_LE(*d.requeueAfter, seconds{10}) << done;
  }
  // Starting a Job counts as observing.
  const Decision started = decide(observation(1));
  ASSERT_TRUE(started.createJob.has_value());
  EXPECT_EQ(started.status->progressObservedAt, "2026-12-02T10:00:00Z");
  EXPECT_LE(*started.requeueAfter, seconds{10});
}

TEST(Decide, TheNextJobWaitsUntilAStoppedOneIsGone) {
  Observation o = observation(1);
  ObservedJob stopping = job(Phase::Backfill, JobState::Active, 2);
  stopping.deleting = true;  // deleted when the spec was paused at generation 2
  o.jobs.push_back(stopping);
  const Decision d = decide(o);
  EXPECT_FALSE(d.createJob.has_value()) << "its pod may still hold the runner lock";
  EXPECT_EQ(d.requeueAfter, seconds{2});
  EXPECT_NE(d.status->message.find("shop-backfill-g2 is stopping"), std::string::npos);

  o.jobs.clear();
  ASSERT_TRUE(decide(o).createJob.has_value());
}

TEST(Decide, DeletionWaitsForTheMigrationsPodsToStop) {
  Observation o = observation(1);
  o.deleting = true;
  o.livePods = {"shop-backfill-g3-x7"};  // its Job is gone, the pod still stops
  const Decision waiting = decide(o);
  EXPECT_FALSE(waiting.removeFinalizer);
  EXPECT_EQ(waiting.requeueAfter, seconds{2});
  ASSERT_TRUE(waiting.status.has_value());
  EXPECT_EQ(waiting.status->phase, "Deleting");
  EXPECT_NE(waiting.status->message.find("pod shop-backfill-g3-x7"), std::string::npos);

  o.livePods.clear();
  EXPECT_TRUE(decide(o).removeFinalizer);
}

TEST(JobName, IsMigrationPhaseGenerationAndFitsALabelValue) {
  EXPECT_EQ(jobName("shop", Phase::Rls, 12), "shop-rls-g12");
  const std::string longName(80, 'a');
  const std::string a = jobName(longName, Phase::Constraints, 7);
  const std::string b = jobName(longName + "b", Phase::Constraints, 7);
  EXPECT_LE(a.size(), 63U);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, jobName(longName, Phase::Constraints, 7));
  EXPECT_TRUE(a.ends_with("-constraints-g7"));
}

}  // namespace
}  // namespace tenantshift::controller
