#include "plan/step.h"

#include <gtest/gtest.h>

#include "plan/plan.h"

namespace tenantshift::plan {
namespace {

TEST(Phase, RoundTripsThroughItsName) {
  for (Phase phase : kPhases) {
    auto parsed = phaseFromString(toString(phase));
    ASSERT_TRUE(parsed.has_value()) << toString(phase);
    EXPECT_EQ(*parsed, phase);
  }
  EXPECT_EQ(toString(Phase::Constraints), "constraints");
  EXPECT_FALSE(phaseFromString("enforce").has_value());
  EXPECT_FALSE(phaseFromString("").has_value());
}

TEST(Enums, HaveReadableNames) {
  EXPECT_EQ(toString(LockLevel::ShareUpdateExclusive), "SHARE UPDATE EXCLUSIVE");
  EXPECT_EQ(toString(LockLevel::AccessExclusive), "ACCESS EXCLUSIVE");
  EXPECT_EQ(toString(DataLossRisk::High), "high");
  EXPECT_EQ(toString(Execution::Concurrent), "concurrent");
}

Step sampleStep() {
  Step step;
  step.id = "schema/add-column/t";
  step.up.push_back({"ALTER TABLE t ADD COLUMN x int", {}});
  step.down.push_back({"ALTER TABLE t DROP COLUMN x", {}});
  return step;
}

TEST(StepChecksum, IsStableHexAndChangesWithWhatTheStepDoes) {
  const Step step = sampleStep();
  const std::string checksum = step.checksum();
  EXPECT_EQ(checksum.size(), 16u);
  EXPECT_EQ(checksum.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(checksum, sampleStep().checksum());

  Step otherSql = sampleStep();
  otherSql.up[0].sql += " ";
  EXPECT_NE(otherSql.checksum(), checksum);

  Step otherParams = sampleStep();
  otherParams.up[0].params.push_back("1");
  EXPECT_NE(otherParams.checksum(), checksum);

  Step otherExecution = sampleStep();
  otherExecution.execution = Execution::Concurrent;
  EXPECT_NE(otherExecution.checksum(), checksum);

  Step otherDown = sampleStep();
  otherDown.down.clear();
  EXPECT_NE(otherDown.checksum(), checksum);

  // Moving text between up and down, or between statements, changes it too.
  Step split = sampleStep();
  split.up[0].sql = "ALTER TABLE t ADD";
  split.up.push_back({"COLUMN x int", {}});
  EXPECT_NE(split.checksum(), checksum);

  Step summaryOnly = sampleStep();
  summaryOnly.summary = "a different description";
  EXPECT_EQ(summaryOnly.checksum(), checksum);
}

TEST(StepChecksum, CoversTheBackfillQueries) {
  Step a;
  a.id = "backfill/t";
  a.execution = Execution::Backfill;
  a.backfill = BackfillTask{
      "t",     {"id"},      "bound",       "first end",  "next end",    "first", "next",
      "sweep", {"user_id"}, "first plain", "next plain", "sweep plain", 0,       7};
  Step b = a;
  b.backfill->nextBatchSql = "next2";
  EXPECT_NE(a.checksum(), b.checksum());
  Step d = a;
  d.backfill->nextBatchEndSql = "next end 2";
  EXPECT_NE(a.checksum(), d.checksum());
  Step c = a;
  c.backfill->upperBoundSql = "bound2";
  EXPECT_NE(a.checksum(), c.checksum());
  // A batch that would no longer take its parent's tenant-move lock is another step.
  Step e = a;
  e.backfill->parentMoveLock.reset();
  EXPECT_NE(a.checksum(), e.checksum());
  // The columns a batch sets to themselves, and the statements without them, are the step too.
  Step f = a;
  f.backfill->touchedColumns.clear();
  EXPECT_NE(a.checksum(), f.checksum());
  Step g = a;
  g.backfill->sweepSqlUntouched = "sweep plain 2";
  EXPECT_NE(a.checksum(), g.checksum());
}

TEST(Plan, FindsStepsByPhaseAndId) {
  Plan plan;
  Step schema = sampleStep();
  Step rls;
  rls.id = "rls/enable/t";
  rls.phase = Phase::Rls;
  plan.steps = {schema, rls};
  ASSERT_EQ(plan.stepsOf(Phase::Rls).size(), 1u);
  EXPECT_EQ(plan.stepsOf(Phase::Rls)[0]->id, "rls/enable/t");
  EXPECT_TRUE(plan.stepsOf(Phase::Flag).empty());
  ASSERT_NE(plan.findStep("schema/add-column/t"), nullptr);
  EXPECT_EQ(plan.findStep("schema/add-column/t")->phase, Phase::Schema);
  EXPECT_EQ(plan.findStep("nope"), nullptr);
}

}  // namespace
}  // namespace tenantshift::plan
