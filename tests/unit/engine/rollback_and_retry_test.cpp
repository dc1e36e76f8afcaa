#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "engine/ddl_retry.h"
#include "engine/rollback_planner.h"

namespace tenantshift::engine {
namespace {

using namespace std::chrono_literals;

TEST(RetryPolicy, DoublesFromTheInitialDelayUpToTheCapWithJitter) {
  RetryPolicy policy;  // 100 ms doubling to 5 s
  EXPECT_EQ(policy.delayBefore(1, 0.999999), 99ms);
  EXPECT_EQ(policy.delayBefore(1, 0.0), 50ms);
  EXPECT_EQ(policy.delayBefore(2, 0.0), 100ms);
  EXPECT_EQ(policy.delayBefore(3, 0.0), 200ms);
  EXPECT_EQ(policy.delayBefore(7, 0.0), 2500ms);  // 6.4 s capped at 5 s, halved by jitter
  EXPECT_EQ(policy.delayBefore(40, 0.0), 2500ms);
  EXPECT_LE(policy.delayBefore(40, 1.0), 5000ms);
}

TEST(ClassifyFailure, RetriesContentionAndConnectionLossOnly) {
  EXPECT_EQ(classifyFailure(pqxx::sql_error("lock timeout", "ALTER", "55P03")),
            FailureKind::Contention);
  EXPECT_EQ(classifyFailure(pqxx::sql_error("deadlock", "UPDATE", "40P01")),
            FailureKind::Contention);
  EXPECT_EQ(classifyFailure(pqxx::sql_error("serialization", "UPDATE", "40001")),
            FailureKind::Contention);
  EXPECT_EQ(classifyFailure(pqxx::sql_error("gone", "SELECT", "57P01")),
            FailureKind::ConnectionLost);
  EXPECT_EQ(classifyFailure(pqxx::sql_error("terminated", "SELECT", "08006")),
            FailureKind::ConnectionLost);
  EXPECT_EQ(classifyFailure(pqxx::broken_connection("closed")), FailureKind::ConnectionLost);
  // A protocol violation is the server refusing what tenantshift sent: not retried.
  EXPECT_EQ(
      classifyFailure(pqxx::sql_error("bind message supplies 2 parameters", "SELECT", "08P01")),
      FailureKind::Fatal);
  EXPECT_EQ(classifyFailure(pqxx::in_doubt_error("commit?")), FailureKind::InDoubt);
  EXPECT_EQ(classifyFailure(pqxx::sql_error("no table", "ALTER", "42P01")), FailureKind::Fatal);
  EXPECT_EQ(classifyFailure(std::runtime_error("other")), FailureKind::Fatal);
  // What libpqxx 6 really throws for 40001/40P01: transaction_rollback subclasses, no SQLSTATE.
  EXPECT_EQ(classifyFailure(pqxx::serialization_failure("could not serialize")),
            FailureKind::Contention);
  EXPECT_EQ(classifyFailure(pqxx::deadlock_detected("deadlock detected")), FailureKind::Contention);
  EXPECT_EQ(classifyFailure(pqxx::statement_completion_unknown("unknown")), FailureKind::InDoubt);
  EXPECT_EQ(firstLine("ERROR:  x\nLINE 1: y\n"), "ERROR:  x");
}

plan::Step step(const std::string& id, plan::Phase phase) {
  plan::Step out;
  out.id = id;
  out.phase = phase;
  return out;
}

std::vector<std::string> ids(const std::vector<const plan::Step*>& steps) {
  std::vector<std::string> out;
  for (const plan::Step* s : steps) {
    out.push_back(s->id);
  }
  return out;
}

class RollbackPlanner : public ::testing::Test {
 protected:
  RollbackPlanner() {
    using plan::Phase;
    plan_.steps = {step("schema/a", Phase::Schema),     step("schema/b", Phase::Schema),
                   step("backfill/a", Phase::Backfill), step("constraints/a", Phase::Constraints),
                   step("rls/a", Phase::Rls),           step("rls/b", Phase::Rls),
                   step("verify/all", Phase::Verify),   step("flag/on", Phase::Flag),
                   step("flag/enforce", Phase::Flag)};
    for (const plan::Step& s : plan_.steps) {
      states_[s.id] = StepState::Done;
    }
  }
  plan::Plan plan_;
  std::map<std::string, StepState> states_;
};

TEST_F(RollbackPlanner, FlagOffUndoesTheFlagPhaseInReverse) {
  EXPECT_EQ(ids(stepsToUndo(plan_, RollbackScenario::FlagOff, states_)),
            (std::vector<std::string>{"flag/enforce", "flag/on"}));
}

// The flag goes off first; the indexes the flag phase replaced come back after it.
TEST_F(RollbackPlanner, FlagOffTurnsTheFlagOffBeforeRebuildingReplacedIndexes) {
  plan_.steps.push_back(step("flag/finalize/users/users_email_key", plan::Phase::Flag));
  plan_.steps.push_back(step("flag/finalize/users/users_name_idx", plan::Phase::Flag));
  for (const plan::Step& s : plan_.steps) {
    states_[s.id] = StepState::Done;
  }
  EXPECT_EQ(
      ids(stepsToUndo(plan_, RollbackScenario::FlagOff, states_)),
      (std::vector<std::string>{"flag/enforce", "flag/on", "flag/finalize/users/users_name_idx",
                                "flag/finalize/users/users_email_key"}));
  EXPECT_EQ(ids(stepsToUndo(plan_, RollbackScenario::DisableRls, states_)),
            (std::vector<std::string>{
                "flag/enforce", "flag/on", "flag/finalize/users/users_name_idx",
                "flag/finalize/users/users_email_key", "verify/all", "rls/b", "rls/a"}));
}

TEST_F(RollbackPlanner, DisableRlsAddsVerifyAndRls) {
  EXPECT_EQ(ids(stepsToUndo(plan_, RollbackScenario::DisableRls, states_)),
            (std::vector<std::string>{"flag/enforce", "flag/on", "verify/all", "rls/b", "rls/a"}));
}

TEST_F(RollbackPlanner, FullUndoesEverythingThatMayHaveTakenEffect) {
  states_["flag/enforce"] = StepState::Pending;
  states_["flag/on"] = StepState::RolledBack;
  states_["rls/b"] = StepState::Failed;
  states_["rls/a"] = StepState::Running;
  states_.erase("verify/all");
  EXPECT_EQ(ids(stepsToUndo(plan_, RollbackScenario::Full, states_)),
            (std::vector<std::string>{"rls/b", "rls/a", "constraints/a", "backfill/a", "schema/b",
                                      "schema/a"}));
}

TEST(RollbackScenarioNames, RoundTrip) {
  for (auto scenario :
       {RollbackScenario::FlagOff, RollbackScenario::DisableRls, RollbackScenario::Full}) {
    EXPECT_EQ(rollbackScenarioFromString(toString(scenario)), scenario);
  }
  EXPECT_FALSE(rollbackScenarioFromString("everything").has_value());
}

}  // namespace
}  // namespace tenantshift::engine
