#include "kube/update_with_retry.h"

#include <gtest/gtest.h>

#include "fakes.h"
#include "kube/finalizers.h"
#include "kube/kube_error.h"

namespace tenantshift::kube {
namespace {

using testing::configMap;
using testing::FakeClock;
using testing::FakeKubeClient;

class UpdateWithRetry : public ::testing::Test {
 protected:
  UpdateWithRetry() { client.put(configMap("n", "cm", "", {{"count", "0"}})); }
  // Another writer changes the object before the first `times` updates land.
  void concurrentWriterFor(int times) {
    client.beforeUpdate = [this, times](int call) {
      if (call <= times) {
        nlohmann::json other = client.stored(resources::configMaps(), "n", "cm");
        other["data"]["other" + std::to_string(call)] = "x";
        client.put(other);
      }
    };
  }
  const ResourceRef ref{resources::configMaps(), "n", "cm", ""};
  FakeClock clock;
  std::stop_source stopper;
  FakeKubeClient client{clock, stopper};
};

TEST_F(UpdateWithRetry, AppliesTheChangeWithTheResourceVersionRead) {
  const nlohmann::json stored =
      updateWithRetry(client, ref, [](nlohmann::json& cm) { cm["data"]["count"] = "1"; });
  EXPECT_EQ(stored["data"]["count"], "1");
  EXPECT_EQ(client.getCalls, 1);
  EXPECT_EQ(client.updateCalls, 1);
}

TEST_F(UpdateWithRetry, OnConflictReadsAgainAndKeepsTheOtherWritersChange) {
  concurrentWriterFor(2);
  const nlohmann::json stored =
      updateWithRetry(client, ref, [](nlohmann::json& cm) { cm["data"]["count"] = "1"; });
  EXPECT_EQ(client.getCalls, 3);
  EXPECT_EQ(client.updateCalls, 3);
  EXPECT_EQ(stored["data"]["count"], "1");
  EXPECT_EQ(stored["data"]["other1"], "x");
  EXPECT_EQ(stored["data"]["other2"], "x");
}

TEST_F(UpdateWithRetry, GivesUpAfterTheLastAttemptWithTheConflict) {
  concurrentWriterFor(100);
  try {
    updateWithRetry(
        client, ref, [](nlohmann::json& cm) { cm["data"]["count"] = "1"; }, {}, 3);
    FAIL() << "no conflict";
  } catch (const KubeError& error) {
    EXPECT_TRUE(error.isConflict());
  }
  EXPECT_EQ(client.updateCalls, 3);
}

TEST_F(UpdateWithRetry, NothingChangedMeansNothingWritten) {
  updateWithRetry(client, ref, [](nlohmann::json&) {});
  EXPECT_EQ(client.updateCalls, 0);
}

TEST_F(UpdateWithRetry, AStaleResourceVersionSetByMutateIsReplacedByTheOneRead) {
  const nlohmann::json stored = updateWithRetry(client, ref, [](nlohmann::json& cm) {
    cm["metadata"]["resourceVersion"] = "1";
    cm["data"]["count"] = "2";
  });
  EXPECT_EQ(stored["data"]["count"], "2");
  EXPECT_EQ(client.updateCalls, 1);
}

TEST_F(UpdateWithRetry, OtherErrorsAreNotRetried) {
  EXPECT_THROW(updateWithRetry(client, {resources::configMaps(), "n", "absent", ""},
                               [](nlohmann::json& cm) { cm["data"] = {}; }),
               KubeError);
  EXPECT_EQ(client.getCalls, 1);
  EXPECT_THROW(updateWithRetry(
                   client, ref, [](nlohmann::json&) {}, {}, 0),
               std::invalid_argument);
}

TEST(Finalizers, AddIsGuardedByTheListAsRead) {
  nlohmann::json object = configMap("n", "x", "7");
  object["metadata"]["finalizers"] = {"other.io/keep"};
  const auto patch = addFinalizerPatch(object, "tenantshift.dev/cleanup");
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->operations(), nlohmann::json::parse(R"([
              {"op":"test","path":"/metadata/finalizers","value":["other.io/keep"]},
              {"op":"add","path":"/metadata/finalizers/-","value":"tenantshift.dev/cleanup"}])"));
  object["metadata"]["finalizers"].push_back("tenantshift.dev/cleanup");
  EXPECT_TRUE(hasFinalizer(object, "tenantshift.dev/cleanup"));
  EXPECT_FALSE(addFinalizerPatch(object, "tenantshift.dev/cleanup").has_value());
}

TEST(Finalizers, AddWithoutAListIsGuardedByTheResourceVersion) {
  const auto patch = addFinalizerPatch(configMap("n", "x", "7"), "tenantshift.dev/cleanup");
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->operations(), nlohmann::json::parse(R"([
              {"op":"test","path":"/metadata/resourceVersion","value":"7"},
              {"op":"add","path":"/metadata/finalizers","value":["tenantshift.dev/cleanup"]}])"));
}

TEST(Finalizers, RemoveIsGuardedAndKeepsTheOthers) {
  nlohmann::json object = configMap("n", "x", "7");
  object["metadata"]["finalizers"] = {"a", "tenantshift.dev/cleanup", "b"};
  const auto patch = removeFinalizerPatch(object, "tenantshift.dev/cleanup");
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->operations(), nlohmann::json::parse(R"([
              {"op":"test","path":"/metadata/finalizers","value":["a","tenantshift.dev/cleanup","b"]},
              {"op":"replace","path":"/metadata/finalizers","value":["a","b"]}])"));
  EXPECT_FALSE(removeFinalizerPatch(configMap("n", "x", "7"), "a").has_value());
}

TEST(JsonPatch, PointerSegmentsAreEscaped) {
  EXPECT_EQ(jsonPointerSegment("tenantshift.dev/phase"), "tenantshift.dev~1phase");
  EXPECT_EQ(jsonPointerSegment("a~b"), "a~0b");
  JsonPatch patch;
  patch.remove("/metadata/annotations/" + jsonPointerSegment("x/y"));
  EXPECT_EQ(patch.operations()[0]["path"], "/metadata/annotations/x~1y");
}

}  // namespace
}  // namespace tenantshift::kube
