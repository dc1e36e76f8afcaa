// Which earlier phase keeps `tenantshift phase` from running, and the plan's done/total counts.
#include <gtest/gtest.h>

#include "engine/phase_prerequisites.h"
#include "engine/plan_progress.h"
#include "plan/plan_hash.h"

namespace tenantshift::engine {
namespace {

using plan::Phase;

plan::Plan examplePlan() {
  plan::Plan out;
  out.steps = {plan::newStep(Phase::Schema, "schema/a", "", ""),
               plan::newStep(Phase::Schema, "schema/b", "", ""),
               plan::newStep(Phase::Backfill, "backfill/a", "a", ""),
               plan::newStep(Phase::Constraints, "constraints/a", "a", ""),
               plan::newStep(Phase::Rls, "rls/a", "a", ""),
               plan::newStep(Phase::Verify, "verify/isolation", "", ""),
               plan::newStep(Phase::Flag, "flag/enforce", "", "")};
  return out;
}

TEST(PhasePrerequisites, TheFirstPhaseNeedsNothing) {
  EXPECT_EQ(firstUndonePrerequisite(examplePlan(), Phase::Schema, {}), nullptr);
}

TEST(PhasePrerequisites, NamesTheFirstUndoneStepOfAnEarlierPhase) {
  const plan::Plan plan = examplePlan();
  const plan::Step* undone = firstUndonePrerequisite(plan, Phase::Backfill, {});
  ASSERT_NE(undone, nullptr);
  EXPECT_EQ(undone->id, "schema/a");
  const std::map<std::string, StepState> states = {{"schema/a", StepState::Done},
                                                   {"schema/b", StepState::Failed}};
  undone = firstUndonePrerequisite(plan, Phase::Rls, states);
  ASSERT_NE(undone, nullptr);
  EXPECT_EQ(undone->id, "schema/b");
  const std::string message = prerequisitesMissingMessage(Phase::Rls, *undone, states);
  EXPECT_NE(message.find("phase rls needs phase schema done first"), std::string::npos) << message;
  EXPECT_NE(message.find("schema/b is failed"), std::string::npos) << message;
  EXPECT_NE(message.find("`tenantshift phase schema`"), std::string::npos) << message;
}

TEST(PhasePrerequisites, LaterPhasesAndThePhaseItselfDoNotCount) {
  const plan::Plan plan = examplePlan();
  const std::map<std::string, StepState> states = {{"schema/a", StepState::Done},
                                                   {"schema/b", StepState::Done},
                                                   {"backfill/a", StepState::Done}};
  EXPECT_EQ(firstUndonePrerequisite(plan, Phase::Constraints, states), nullptr);
  EXPECT_EQ(firstUndonePrerequisite(plan, Phase::Backfill, states), nullptr);
  const plan::Step* undone = firstUndonePrerequisite(plan, Phase::Flag, states);
  ASSERT_NE(undone, nullptr);
  EXPECT_EQ(undone->id, "constraints/a");
}

TEST(PlanProgress, CountsDoneStepsOverallAndPerPhase) {
  const plan::Plan plan = examplePlan();
  const PlanProgress progress = planProgress(plan, {{"schema/a", StepState::Done},
                                                    {"schema/b", StepState::Done},
                                                    {"backfill/a", StepState::Running},
                                                    {"flag/enforce", StepState::RolledBack}});
  EXPECT_EQ(progress.planHash, plan::planHash(plan));
  EXPECT_EQ(progress.steps.done, 2);
  EXPECT_EQ(progress.steps.total, 7);
  EXPECT_EQ(progress.of(Phase::Schema).done, 2);
  EXPECT_EQ(progress.of(Phase::Schema).total, 2);
  EXPECT_EQ(progress.of(Phase::Backfill).done, 0);
  EXPECT_EQ(progress.of(Phase::Backfill).total, 1);
  EXPECT_EQ(progress.of(Phase::Flag).done, 0);
  EXPECT_EQ(progress.phases.size(), plan::kPhases.size());
}

}  // namespace
}  // namespace tenantshift::engine
