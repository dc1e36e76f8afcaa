// The status the operator writes: conditions shaped like metav1.Condition, read back unchanged.
#include "controller/migration_status.h"

#include <gtest/gtest.h>

namespace tenantshift::controller {
namespace {

TEST(MigrationStatus, ReadsBackWhatItWrites) {
  MigrationStatus status;
  status.phase = "Backfill";
  status.observedGeneration = 3;
  status.planHash = "0123456789abcdef";
  status.previousPlanHash = "fedcba9876543210";
  status.progressObservedAt = "2026-12-02T10:00:05Z";
  status.stepsDone = 4;
  status.stepsTotal = 40;
  status.progress = "4/40 steps, orders 10/20 rows";
  status.backfill = {{"orders", 10, 20, 5.0, false, "2026-12-02T10:00:00Z"}};
  status.phases = {{"Schema", "2026-12-02T09:00:00Z", "2026-12-02T09:01:00Z"}};
  status.currentJob = "shop-backfill-g3";
  status.message = "running";
  status.conditions = {{"Ready", "False", "PhaseRunning", "running", 3, "2026-12-02T09:00:00Z"}};
  EXPECT_EQ(statusFromJson(toJson(status)), status);
}

TEST(MigrationStatus, EmptyFieldsAreNullSoThatAMergePatchRemovesThem) {
  const nlohmann::json json = toJson(MigrationStatus{});
  EXPECT_TRUE(json.contains("currentJob"));
  EXPECT_TRUE(json["currentJob"].is_null());
  EXPECT_TRUE(json["backfill"].is_null());
  EXPECT_EQ(statusFromJson(json), MigrationStatus{});
}

TEST(MigrationStatus, MalformedFieldsAreReadAsEmpty) {
  const MigrationStatus status =
      statusFromJson({{"phase", 7}, {"conditions", {{{"type", "Ready"}, {"status", true}}}}});
  EXPECT_EQ(status.phase, "");
  ASSERT_EQ(status.conditions.size(), 1U);
  EXPECT_EQ(status.conditions[0].status, "Unknown");
}

TEST(SetCondition, KeepsTheTransitionTimeWhileTheStatusStaysTheSame) {
  std::vector<Condition> conditions;
  setCondition(conditions, {"Ready", "False", "PhaseRunning", "a", 1, ""}, "t1");
  setCondition(conditions, {"Ready", "False", "LockHeld", "b", 2, ""}, "t2");
  ASSERT_EQ(conditions.size(), 1U);
  EXPECT_EQ(conditions[0].lastTransitionTime, "t1");
  EXPECT_EQ(conditions[0].reason, "LockHeld");
  EXPECT_EQ(conditions[0].observedGeneration, 2);
  setCondition(conditions, {"Ready", "True", "Enforced", "c", 2, ""}, "t3");
  EXPECT_EQ(conditions[0].lastTransitionTime, "t3");
  setCondition(conditions, {"Stalled", "False", "NoError", "", 2, ""}, "t4");
  EXPECT_EQ(conditions.size(), 2U);
  EXPECT_EQ(findCondition(conditions, "Stalled")->lastTransitionTime, "t4");
  EXPECT_EQ(findCondition(conditions, "Reconciling"), nullptr);
}

}  // namespace
}  // namespace tenantshift::controller
