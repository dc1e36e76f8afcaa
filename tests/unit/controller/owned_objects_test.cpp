// The operator's Jobs and pods as decide() sees them, read from the informers' objects.
#include "controller/owned_objects.h"

#include <gtest/gtest.h>

#include "controller/phase_job.h"

namespace tenantshift::controller {
namespace {

const WallClock::TimePoint kNow = *parseRfc3339("2026-12-02T10:00:40Z");

kube::ObjectPtr pod(const std::string& name, const std::string& job, const std::string& phase,
                    const std::string& finishedAt = "", const std::string& message = "") {
  nlohmann::json object = {{"metadata",
                            {{"name", name},
                             {"namespace", "apps"},
                             {"labels", {{kMigrationLabel, "shop"}, {"job-name", job}}}}},
                           {"status", {{"phase", phase}}}};
  if (!finishedAt.empty()) {
    object["status"]["containerStatuses"] = {
        {{"state", {{"terminated", {{"finishedAt", finishedAt}, {"message", message}}}}}}};
  }
  return std::make_shared<const nlohmann::json>(object);
}

nlohmann::json failedJob() {
  return {{"metadata",
           {{"name", "shop-verify-g3"},
            {"labels", {{kPhaseLabel, "verify"}, {kGenerationLabel, "3"}}}}},
          {"status",
           {{"conditions",
             {{{"type", "Failed"},
               {"status", "True"},
               {"reason", "BackoffLimitExceeded"},
               {"message", "Job has reached the specified backoff limit"},
               {"lastTransitionTime", "2026-12-02T10:00:00Z"}}}}}}};
}

TEST(OwnedObjects, AFailedJobCarriesItsNewestPodsTerminationMessage) {
  const std::vector<kube::ObjectPtr> pods = {
      pod("a", "shop-verify-g3", "Failed", "2026-12-02T09:58:00Z", R"({"outcome":"failed"})"),
      pod("b", "shop-verify-g3", "Failed", "2026-12-02T09:59:00Z",
          R"({"outcome":"verify-failed","exitCode":7,"message":"orders leaks"})"),
      pod("c", "shop-schema-g3", "Failed", "2026-12-02T09:59:30Z", R"({"outcome":"other"})")};
  const ObservedJob job = observeJob(failedJob(), pods, kNow);
  EXPECT_EQ(job.state, JobState::Failed);
  EXPECT_EQ(job.phase, plan::Phase::Verify);
  EXPECT_EQ(job.generation, 3);
  EXPECT_EQ(job.finishedSecondsAgo, 40);
  ASSERT_TRUE(job.summary.has_value());
  EXPECT_EQ(job.summary->outcome, "verify-failed");
  EXPECT_EQ(job.summary->message, "orders leaks");
  EXPECT_NE(job.failure.find("BackoffLimitExceeded"), std::string::npos);
}

TEST(OwnedObjects, ALogTailIsKeptAsTheMessageWhenThePodWroteNoSummary) {
  const std::string tail(600, 'x');
  const ObservedJob job =
      observeJob(failedJob(), {pod("a", "shop-verify-g3", "Failed", "t", tail)}, kNow);
  ASSERT_TRUE(job.summary.has_value());
  EXPECT_EQ(job.summary->outcome, "");
  EXPECT_EQ(job.summary->message.size(), 400U);
}

TEST(OwnedObjects, AJobWithoutStatusIsActive) {
  const ObservedJob job =
      observeJob({{"metadata", {{"name", "j"}}}, {"status", nullptr}}, {}, kNow);
  EXPECT_EQ(job.state, JobState::Active);
  EXPECT_FALSE(job.deleting);
  EXPECT_FALSE(job.phase.has_value());
}

TEST(OwnedObjects, LivePodsAreThoseThatHaveNotEnded) {
  EXPECT_EQ(livePods({pod("a", "j", "Running"), pod("b", "j", "Succeeded"), pod("c", "j", "Failed"),
                      pod("d", "j", "Pending")}),
            (std::vector<std::string>{"a", "d"}));
}

TEST(OwnedObjects, OwnershipIsByUid) {
  const nlohmann::json configMap = {
      {"metadata", {{"ownerReferences", {{{"kind", "TenantMigration"}, {"uid", "uid-1"}}}}}}};
  EXPECT_TRUE(ownedByUid(configMap, "uid-1"));
  EXPECT_FALSE(ownedByUid(configMap, "uid-2"));
  EXPECT_FALSE(ownedByUid({{"metadata", nlohmann::json::object()}}, "uid-1"));
  EXPECT_FALSE(ownedByUid(configMap, ""));
}

}  // namespace
}  // namespace tenantshift::controller
