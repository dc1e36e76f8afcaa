// What decide() reads of the plan and the ledger.
#include "controller/ledger_view.h"

#include <gtest/gtest.h>

#include "plan/plan_hash.h"

namespace tenantshift::controller {
namespace {

plan::Step step(const std::string& id, plan::Phase phase) {
  plan::Step s;
  s.id = id;
  s.phase = phase;
  s.up = {{"SELECT 1", {}, false}};
  return s;
}

plan::Plan examplePlan() {
  plan::Plan p;
  p.steps = {step("schema/a", plan::Phase::Schema), step("schema/b", plan::Phase::Schema),
             step("backfill/orders", plan::Phase::Backfill), step("flag/on", plan::Phase::Flag),
             step("flag/enforce", plan::Phase::Flag)};
  return p;
}

engine::StepStatus recorded(const std::string& id, engine::StepState state,
                            const std::string& started, const std::string& finished) {
  engine::StepStatus s;
  s.id = id;
  s.state = state;
  s.startedAt = started;
  s.finishedAt = finished;
  return s;
}

TEST(LedgerView, CountsEachPhasesDoneStepsAndWhenItRan) {
  engine::MigrationStatus ledger;
  ledger.started = true;
  ledger.steps = {recorded("schema/a", engine::StepState::Done, "10:00:01", "10:00:02"),
                  recorded("schema/b", engine::StepState::Done, "10:00:03", "10:00:04"),
                  recorded("backfill/orders", engine::StepState::Running, "10:00:05", ""),
                  recorded("gone/step", engine::StepState::Done, "09:00:00", "09:00:01")};
  engine::BackfillCursorStatus cursor;
  cursor.table = "orders";
  cursor.rowsDone = 400;
  ledger.cursors = {cursor};
  const LedgerView view = ledgerView(examplePlan(), ledger);
  EXPECT_EQ(view.planHash, plan::planHash(examplePlan()));
  ASSERT_EQ(view.phases.size(), plan::kPhases.size());
  EXPECT_EQ(view.phases[0].total, 2);
  EXPECT_EQ(view.phases[0].done, 2);
  EXPECT_EQ(view.phases[0].startedAt, "10:00:01");
  EXPECT_EQ(view.phases[0].finishedAt, "10:00:04");
  EXPECT_EQ(view.phases[1].total, 1);
  EXPECT_EQ(view.phases[1].done, 0);
  EXPECT_FALSE(view.phases[1].complete());
  EXPECT_EQ(view.phases[2].total, 0) << "constraints: nothing planned";
  EXPECT_TRUE(view.phases[2].complete());
  EXPECT_TRUE(view.flagOnPlanned);
  EXPECT_FALSE(view.flagOnDone);
  EXPECT_FALSE(view.enforceDone);
  ASSERT_EQ(view.backfill.size(), 1U);
  EXPECT_EQ(view.backfill[0].table, "orders");
  EXPECT_EQ(view.backfill[0].rowsDone, 400);
}

TEST(LedgerView, ANewMigrationHasNothingDone) {
  const LedgerView view = ledgerView(examplePlan(), engine::MigrationStatus{});
  for (const PhaseProgress& phase : view.phases) {
    EXPECT_EQ(phase.done, 0);
  }
  EXPECT_FALSE(view.phases[0].complete());
}

TEST(LedgerView, AnOutlineKeepsThePlansHashAndItsStepsInOrder) {
  const PlanOutline outline = outlineOf(examplePlan());
  EXPECT_EQ(outline.planHash, plan::planHash(examplePlan()));
  ASSERT_EQ(outline.steps.size(), 5U);
  EXPECT_EQ(outline.steps[0], std::make_pair(std::string("schema/a"), plan::Phase::Schema));
  EXPECT_EQ(outline.steps[4], std::make_pair(std::string("flag/enforce"), plan::Phase::Flag));
}

}  // namespace
}  // namespace tenantshift::controller
