// The rollout-complete decision, from a Deployment's JSON alone.
#include "flag/rollout_status.h"

#include <gtest/gtest.h>

namespace tenantshift::flag {
namespace {

nlohmann::json deployment(int generation, nlohmann::json status, nlohmann::json spec = {}) {
  if (!spec.contains("replicas")) {
    spec["replicas"] = 3;
  }
  return {{"metadata", {{"name", "web"}, {"generation", generation}}},
          {"spec", std::move(spec)},
          {"status", std::move(status)}};
}

nlohmann::json counts(int observed, int replicas, int updated, int available) {
  return {{"observedGeneration", observed},
          {"replicas", replicas},
          {"updatedReplicas", updated},
          {"availableReplicas", available}};
}

TEST(RolloutStatus, CompleteWhenEveryReplicaIsNewAndAvailable) {
  const RolloutStatus status = rolloutStatus(deployment(4, counts(4, 3, 3, 3)));
  EXPECT_TRUE(status.complete());
  EXPECT_EQ(status.message, "complete: 3 of 3 updated replicas are available");
  EXPECT_TRUE(rolloutStatus(deployment(4, counts(5, 3, 3, 3))).complete());
}

TEST(RolloutStatus, WaitsUntilTheControllerHasSeenTheChange) {
  // The status still describes the old template's rollout, complete as it was.
  const RolloutStatus status = rolloutStatus(deployment(5, counts(4, 3, 3, 3)));
  EXPECT_EQ(status.state, RolloutStatus::State::Waiting);
  EXPECT_EQ(status.message,
            "the Deployment controller has not seen the change yet (generation 5, observed 4)");
  EXPECT_FALSE(rolloutStatus(deployment(1, nlohmann::json::object())).complete());
}

TEST(RolloutStatus, WaitsForUpdatedThenOldThenAvailableReplicas) {
  EXPECT_EQ(rolloutStatus(deployment(5, counts(5, 4, 1, 3))).message,
            "1 of 3 new replicas have been updated");
  EXPECT_EQ(rolloutStatus(deployment(5, counts(5, 4, 3, 3))).message,
            "1 old replicas are pending termination");
  EXPECT_EQ(rolloutStatus(deployment(5, counts(5, 3, 3, 2))).message,
            "2 of 3 updated replicas are available");
  EXPECT_EQ(rolloutStatus(deployment(5, counts(5, 4, 4, 4))).message,
            "4 updated replicas, scaling down to 3");
  for (const auto& status : {counts(5, 4, 1, 3), counts(5, 4, 3, 3), counts(5, 3, 3, 2)}) {
    EXPECT_EQ(rolloutStatus(deployment(5, status)).state, RolloutStatus::State::Waiting);
  }
}

TEST(RolloutStatus, ReplicasDefaultToOneAndZeroIsCompleteAtOnce) {
  nlohmann::json noReplicas = deployment(2, counts(2, 1, 1, 1));
  noReplicas["spec"].erase("replicas");
  EXPECT_TRUE(rolloutStatus(noReplicas).complete());
  noReplicas["status"]["availableReplicas"] = 0;
  EXPECT_FALSE(rolloutStatus(noReplicas).complete());
  EXPECT_TRUE(
      rolloutStatus(deployment(2, {{"observedGeneration", 2}}, {{"replicas", 0}})).complete());
}

TEST(RolloutStatus, FailsPastItsProgressDeadlineOrWhenPaused) {
  nlohmann::json stuck = counts(5, 4, 1, 3);
  stuck["conditions"] = {{{"type", "Available"}, {"status", "True"}},
                         {{"type", "Progressing"},
                          {"status", "False"},
                          {"reason", "ProgressDeadlineExceeded"},
                          {"message", "ReplicaSet \"web-7d\" has timed out progressing."}}};
  const RolloutStatus deadline = rolloutStatus(deployment(5, stuck));
  EXPECT_TRUE(deadline.failed());
  EXPECT_EQ(deadline.message,
            "the rollout exceeded its progress deadline (spec.progressDeadlineSeconds): "
            "ReplicaSet \"web-7d\" has timed out progressing.");
  // A deadline exceeded before the change does not count until the controller has seen it.
  EXPECT_EQ(rolloutStatus(deployment(6, stuck)).state, RolloutStatus::State::Waiting);

  const RolloutStatus paused =
      rolloutStatus(deployment(5, counts(5, 3, 0, 3), {{"replicas", 3}, {"paused", true}}));
  EXPECT_TRUE(paused.failed());
  EXPECT_NE(paused.message.find("kubectl rollout resume"), std::string::npos);
}

}  // namespace
}  // namespace tenantshift::flag
