#include "kube/reflector.h"

#include <gtest/gtest.h>

#include "fakes.h"
#include "kube/kube_error.h"

namespace tenantshift::kube {
namespace {

using std::chrono::milliseconds;
using testing::bookmark;
using testing::closesAfter;
using testing::configMap;
using testing::event;
using testing::FakeClock;
using testing::FakeKubeClient;
using testing::FixedRandom;
using testing::gone;
using testing::listOf;
using testing::WatchScript;

// Records what the reflector tells its handler, as text.
class RecordingHandler final : public ReflectorHandler {
 public:
  void onSynced(const std::vector<nlohmann::json>& objects,
                const std::string& resourceVersion) override {
    std::string names;
    for (const auto& object : objects) {
      names += (names.empty() ? "" : ",") + objectKey(object);
    }
    log.push_back("synced@" + resourceVersion + "[" + names + "]");
    lastSynced = objects;
  }
  void onAdded(const nlohmann::json& object) override { record("added", object); }
  void onModified(const nlohmann::json& object) override { record("modified", object); }
  void onDeleted(const nlohmann::json& object) override { record("deleted", object); }

  std::vector<std::string> log;
  std::vector<nlohmann::json> lastSynced;

 private:
  void record(const std::string& what, const nlohmann::json& object) {
    log.push_back(what + " " + objectKey(object) + "@" + resourceVersionOf(object));
  }
};

class ReflectorTest : public ::testing::Test {
 protected:
  ReflectorOptions options() const {
    ReflectorOptions result;
    result.collection = ResourceRef{resources::configMaps(), "team", "", ""};
    result.labelSelector = "app=web";
    result.pageSize = 2;
    return result;
  }
  void run() { run(options()); }
  void run(const ReflectorOptions& reflectorOptions) {
    Reflector reflector(client, reflectorOptions, handler, clock, random);
    reflector.run(stopper.get_token());
  }
  void listReturns(nlohmann::json list) {
    client.lists.emplace_back([list](const ListOptions&) { return list; });
  }
  void listThrows(const std::function<void()>& thrower) {
    client.lists.emplace_back([thrower](const ListOptions&) -> nlohmann::json {
      thrower();
      return {};
    });
  }

  FakeClock clock;
  FixedRandom random{0.5};
  std::stop_source stopper;
  FakeKubeClient client{clock, stopper};
  RecordingHandler handler;
};

TEST_F(ReflectorTest, ListsInPagesThenWatchesFromTheListsResourceVersionWithBookmarks) {
  client.lists.emplace_back([](const ListOptions& list) {
    EXPECT_EQ(list.limit, 2);
    EXPECT_EQ(list.continueToken, "");
    EXPECT_EQ(list.labelSelector, "app=web");
    nlohmann::json page =
        listOf({configMap("team", "a", "5"), configMap("team", "b", "6")}, "10", "next-page");
    // List items come without kind and apiVersion.
    for (auto& item : page["items"]) {
      item.erase("kind");
      item.erase("apiVersion");
    }
    return page;
  });
  client.lists.emplace_back([](const ListOptions& list) {
    EXPECT_EQ(list.continueToken, "next-page");
    return listOf({configMap("team", "c", "7")}, "10");
  });
  client.watches.push_back(
      closesAfter({event(WatchEventType::Added, configMap("team", "d", "11"))}));
  run();

  EXPECT_EQ(handler.log,
            (std::vector<std::string>{"synced@10[team/a,team/b,team/c]", "added team/d@11"}));
  ASSERT_EQ(handler.lastSynced.size(), 3U);
  EXPECT_EQ(handler.lastSynced[0]["kind"], "ConfigMap");
  EXPECT_EQ(handler.lastSynced[0]["apiVersion"], "v1");
  ASSERT_GE(client.watchCalls.size(), 1U);
  const WatchOptions& watch = client.watchCalls[0];
  EXPECT_EQ(watch.resourceVersion, "10");
  EXPECT_TRUE(watch.allowWatchBookmarks);
  EXPECT_EQ(watch.labelSelector, "app=web");
  // 300 s jittered by (1 + 0.5).
  EXPECT_EQ(watch.timeout, std::chrono::seconds(450));
}

TEST_F(ReflectorTest, WatchTimeoutWithoutJitterIsTheBase) {
  listReturns(listOf({}, "1"));
  random.value = 0.0;
  run();
  ASSERT_GE(client.watchCalls.size(), 1U);
  EXPECT_EQ(client.watchCalls[0].timeout, std::chrono::seconds(300));
}

TEST_F(ReflectorTest, WatchTimeoutIsJitteredUpToTwiceTheBase) {
  listReturns(listOf({}, "1"));
  random.value = 0.999;
  ReflectorOptions shortWatches = options();
  shortWatches.watchTimeout = std::chrono::seconds(10);
  run(shortWatches);
  ASSERT_GE(client.watchCalls.size(), 1U);
  EXPECT_EQ(client.watchCalls[0].timeout, std::chrono::seconds(19));
}

TEST_F(ReflectorTest, ResumesFromTheLastEventWhenTheServerEndsTheWatch) {
  listReturns(listOf({configMap("team", "a", "5")}, "10"));
  client.watches.push_back(
      closesAfter({event(WatchEventType::Modified, configMap("team", "a", "12")),
                   event(WatchEventType::Deleted, configMap("team", "a", "13"))}));
  client.watches.push_back(
      closesAfter({event(WatchEventType::Added, configMap("team", "b", "14"))}));
  run();

  EXPECT_EQ(handler.log, (std::vector<std::string>{"synced@10[team/a]", "modified team/a@12",
                                                   "deleted team/a@13", "added team/b@14"}));
  ASSERT_EQ(client.watchCalls.size(), 3U);  // the third finds the script exhausted
  EXPECT_EQ(client.watchCalls[1].resourceVersion, "13");
  EXPECT_EQ(client.watchCalls[2].resourceVersion, "14");
  EXPECT_EQ(client.listCalls.size(), 1U);  // no re-list
  EXPECT_TRUE(clock.sleeps.empty());       // no backoff between healthy watches
}

TEST_F(ReflectorTest, BookmarkMovesTheResourceVersionWithoutAnEvent) {
  listReturns(listOf({}, "10"));
  client.watches.push_back(closesAfter({bookmark("20")}));
  client.watches.push_back(WatchScript{{}, std::chrono::minutes(5), {}});  // quiet, then closed
  run();

  EXPECT_EQ(handler.log, (std::vector<std::string>{"synced@10[]"}));
  ASSERT_EQ(client.watchCalls.size(), 3U);
  EXPECT_EQ(client.watchCalls[1].resourceVersion, "20");
  EXPECT_EQ(client.watchCalls[2].resourceVersion, "20");
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST_F(ReflectorTest, GoneErrorEventMeansListAgainAndWatchFromTheNewList) {
  listReturns(listOf({configMap("team", "a", "5"), configMap("team", "b", "6")}, "10"));
  client.watches.push_back(WatchScript{{event(WatchEventType::Added, configMap("team", "c", "11"))},
                                       std::chrono::seconds(30),
                                       [] { throw gone(); }});
  listReturns(listOf({configMap("team", "b", "6"), configMap("team", "c", "11")}, "40"));
  run();

  EXPECT_EQ(handler.log, (std::vector<std::string>{"synced@10[team/a,team/b]", "added team/c@11",
                                                   "synced@40[team/b,team/c]"}));
  ASSERT_EQ(client.listCalls.size(), 2U);
  ASSERT_EQ(client.watchCalls.size(), 2U);
  EXPECT_EQ(client.watchCalls[1].resourceVersion, "40");
  // A backoff wait before the re-list: 800 ms shortened by jitter 0.2 * 0.5.
  EXPECT_EQ(clock.sleeps, (std::vector<milliseconds>{milliseconds(720)}));
}

TEST_F(ReflectorTest, GoneStatusWhenStartingTheWatchAlsoMeansListAgain) {
  listReturns(listOf({}, "10"));
  client.watches.push_back(WatchScript{{}, milliseconds(0), [] { throw gone(); }});
  listReturns(listOf({configMap("team", "x", "50")}, "50"));
  run();
  EXPECT_EQ(handler.log, (std::vector<std::string>{"synced@10[]", "synced@50[team/x]"}));
  ASSERT_EQ(client.watchCalls.size(), 2U);
  EXPECT_EQ(client.watchCalls[1].resourceVersion, "50");
}

TEST_F(ReflectorTest, ConnectionFailuresBackOffDoublingToTheCapThenWatchAgainWithoutRelisting) {
  listReturns(listOf({}, "10"));
  for (int i = 0; i < 8; ++i) {
    client.watches.push_back(WatchScript{{}, milliseconds(0), [] {
                                           throw KubeConnectionError("GET", "/api/v1/configmaps",
                                                                     "https://127.0.0.1:1",
                                                                     "connection refused");
                                         }});
  }
  random.value = 0.0;  // no jitter: the bare schedule
  run();

  EXPECT_EQ(clock.sleeps,
            (std::vector<milliseconds>{milliseconds(800), milliseconds(1600), milliseconds(3200),
                                       milliseconds(6400), milliseconds(12800), milliseconds(25600),
                                       milliseconds(30000), milliseconds(30000)}));
  EXPECT_EQ(client.listCalls.size(), 1U);
  for (const auto& watch : client.watchCalls) {
    EXPECT_EQ(watch.resourceVersion, "10");
  }
}

TEST_F(ReflectorTest, BackoffStartsOverAfterTwoHealthyMinutes) {
  listReturns(listOf({}, "10"));
  auto refused = [] {
    throw KubeConnectionError("GET", "/api/v1/configmaps", "https://127.0.0.1:1", "refused");
  };
  random.value = 0.0;
  client.watches.push_back(WatchScript{{}, milliseconds(0), refused});  // 800
  client.watches.push_back(WatchScript{{}, milliseconds(0), refused});  // 1600
  client.watches.push_back(WatchScript{{}, milliseconds(0), refused});  // 3200
  // Healthy for 2 minutes, then it fails again: the backoff starts over.
  client.watches.push_back(WatchScript{{bookmark("11")}, std::chrono::minutes(2), refused});
  client.watches.push_back(WatchScript{{}, milliseconds(0), refused});
  run();
  EXPECT_EQ(clock.sleeps,
            (std::vector<milliseconds>{milliseconds(800), milliseconds(1600), milliseconds(3200),
                                       milliseconds(800), milliseconds(1600)}));
}

TEST_F(ReflectorTest, JitterShortensEachWaitByUpToAFifth) {
  listReturns(listOf({}, "10"));
  client.watches.push_back(WatchScript{{}, milliseconds(0), [] {
                                         throw KubeError("GET", "/x", 503, "ServiceUnavailable",
                                                         "down");
                                       }});
  random.value = 0.999;
  run();
  ASSERT_EQ(clock.sleeps.size(), 1U);
  EXPECT_EQ(clock.sleeps[0], milliseconds(640));  // 800 * (1 - 0.2 * 0.999), truncated
}

TEST_F(ReflectorTest, ServerErrorsRetryTheWatchButOtherRefusalsListAgain) {
  listReturns(listOf({}, "10"));
  client.watches.push_back(WatchScript{
      {}, milliseconds(0), [] { throw KubeError("GET", "/x", 500, "InternalError", "x"); }});
  client.watches.push_back(WatchScript{
      {}, milliseconds(0), [] { throw KubeError("GET", "/x", 403, "Forbidden", "no"); }});
  listReturns(listOf({}, "30"));
  run();
  EXPECT_EQ(client.listCalls.size(), 2U);
  ASSERT_EQ(client.watchCalls.size(), 3U);
  EXPECT_EQ(client.watchCalls[1].resourceVersion, "10");  // after the 500: same version
  EXPECT_EQ(client.watchCalls[2].resourceVersion, "30");  // after the 403: listed again
}

TEST_F(ReflectorTest, FailedListIsRetriedWithBackoff) {
  listThrows([] {
    throw KubeConnectionError("GET", "/api/v1/configmaps", "https://127.0.0.1:1", "refused");
  });
  listThrows([] { throw KubeError("GET", "/x", 404, "NotFound", "the server could not find"); });
  listReturns(listOf({configMap("team", "a", "3")}, "3"));
  random.value = 0.0;
  run();
  EXPECT_EQ(handler.log, (std::vector<std::string>{"synced@3[team/a]"}));
  EXPECT_EQ(clock.sleeps, (std::vector<milliseconds>{milliseconds(800), milliseconds(1600)}));
}

TEST_F(ReflectorTest, ExpiredContinueTokenFallsBackToOneFullList) {
  listReturns(listOf({configMap("team", "a", "1"), configMap("team", "b", "2")}, "10", "token"));
  listThrows([] { throw gone(); });
  client.lists.emplace_back([](const ListOptions& list) {
    EXPECT_EQ(list.limit, 0);
    EXPECT_EQ(list.continueToken, "");
    return listOf(
        {configMap("team", "a", "1"), configMap("team", "b", "2"), configMap("team", "c", "3")},
        "20");
  });
  run();
  ASSERT_FALSE(handler.log.empty());
  EXPECT_EQ(handler.log[0], "synced@20[team/a,team/b,team/c]");
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST_F(ReflectorTest, WatchThatEndsAtOnceWithoutEventsBacksOff) {
  listReturns(listOf({}, "10"));
  client.watches.push_back(WatchScript{{}, milliseconds(10), {}});
  client.watches.push_back(WatchScript{{}, milliseconds(10), {}});
  random.value = 0.0;
  run();
  EXPECT_EQ(clock.sleeps, (std::vector<milliseconds>{milliseconds(800), milliseconds(1600)}));
  EXPECT_EQ(client.listCalls.size(), 1U);
}

TEST_F(ReflectorTest, HandlerFailureIsLoggedAndRelists) {
  class Throwing final : public ReflectorHandler {
   public:
    void onSynced(const std::vector<nlohmann::json>&, const std::string&) override { ++synced; }
    void onAdded(const nlohmann::json&) override { throw std::runtime_error("handler bug"); }
    void onModified(const nlohmann::json&) override {}
    void onDeleted(const nlohmann::json&) override {}
    int synced = 0;
  } throwing;
  listReturns(listOf({}, "10"));
  client.watches.push_back(
      closesAfter({event(WatchEventType::Added, configMap("team", "a", "11"))}));
  listReturns(listOf({}, "12"));
  Reflector reflector(client, options(), throwing, clock, random);
  reflector.run(stopper.get_token());
  EXPECT_EQ(throwing.synced, 2);
}

TEST_F(ReflectorTest, StopDuringBackoffReturnsWithoutAnotherRequest) {
  listThrows([this] {
    stopper.request_stop();
    throw KubeConnectionError("GET", "/x", "https://127.0.0.1:1", "refused");
  });
  run();
  EXPECT_EQ(client.listCalls.size(), 1U);
  EXPECT_TRUE(client.watchCalls.empty());
}

}  // namespace
}  // namespace tenantshift::kube
