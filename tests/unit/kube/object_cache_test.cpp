#include "kube/object_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <thread>

#include "fakes.h"
#include "kube/informer.h"

namespace tenantshift::kube {
namespace {

using testing::configMap;
using testing::event;
using testing::FakeClock;
using testing::FakeKubeClient;
using testing::FixedRandom;
using testing::listOf;
using testing::WatchScript;

std::vector<std::string> namesOf(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> names;
  for (const auto& object : objects) {
    names.push_back(objectKey(*object) + "@" + resourceVersionOf(*object));
  }
  return names;
}

TEST(ObjectCache, UpsertGetListAndErase) {
  ObjectCache cache;
  EXPECT_FALSE(cache.hasSynced());
  EXPECT_EQ(cache.upsert(configMap("b", "x", "1")).kind, CacheChange::Kind::Added);
  cache.upsert(configMap("a", "y", "2"));
  cache.upsert(configMap("a-b", "z", "3"));
  const CacheChange update = cache.upsert(configMap("b", "x", "4"));
  EXPECT_EQ(update.kind, CacheChange::Kind::Updated);
  EXPECT_EQ(resourceVersionOf(*update.before), "1");
  EXPECT_EQ(resourceVersionOf(*update.after), "4");

  ASSERT_NE(cache.get("b", "x"), nullptr);
  EXPECT_EQ(resourceVersionOf(*cache.get("b/x")), "4");
  EXPECT_EQ(cache.get("b", "nope"), nullptr);
  EXPECT_EQ(namesOf(cache.list()), (std::vector<std::string>{"a-b/z@3", "a/y@2", "b/x@4"}));
  EXPECT_EQ(namesOf(cache.list("a")), (std::vector<std::string>{"a/y@2"}));
  EXPECT_EQ(namesOf(cache.list("a-b")), (std::vector<std::string>{"a-b/z@3"}));
  EXPECT_TRUE(cache.list("c").empty());
  EXPECT_EQ(cache.size(), 3U);

  const auto erased = cache.erase(configMap("a", "y", "5"));
  ASSERT_TRUE(erased.has_value());
  EXPECT_EQ(erased->kind, CacheChange::Kind::Deleted);
  EXPECT_EQ(resourceVersionOf(*erased->before), "2");
  EXPECT_FALSE(cache.erase(configMap("a", "y", "5")).has_value());
  EXPECT_EQ(cache.keys(), (std::vector<std::string>{"a-b/z", "b/x"}));
}

TEST(ObjectCache, KeepsObjectsWithoutTheirManagedFields) {
  nlohmann::json object = configMap("n", "x", "1");
  object["metadata"]["managedFields"] = {{{"manager", "kubectl"}, {"fieldsV1", {{"f:data", {}}}}}};
  object["metadata"]["labels"] = {{"app", "shop"}};
  ObjectCache cache;
  const CacheChange added = cache.upsert(object);
  EXPECT_FALSE(added.after->at("metadata").contains("managedFields"));
  EXPECT_EQ(cache.get("n", "x")->at("metadata").at("labels"), object["metadata"]["labels"]);
  EXPECT_EQ(resourceVersionOf(*cache.get("n", "x")), "1");

  object["metadata"]["resourceVersion"] = "2";
  cache.replace({object}, "2");
  EXPECT_FALSE(cache.get("n", "x")->at("metadata").contains("managedFields"));
  EXPECT_EQ(resourceVersionOf(*cache.get("n", "x")), "2");
}

TEST(ObjectCache, KeepsObjectsWithoutKubectlsLastAppliedConfiguration) {
  nlohmann::json object = configMap("n", "x", "1");
  object["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", R"({"apiVersion":"v1"})"},
      {"tenantshift.dev/plan-hash", "abc"}};
  ObjectCache cache;
  const CacheChange added = cache.upsert(object);
  EXPECT_EQ(added.after->at("metadata").at("annotations"),
            nlohmann::json({{"tenantshift.dev/plan-hash", "abc"}}));

  object["metadata"]["resourceVersion"] = "2";
  cache.replace({object}, "2");
  EXPECT_EQ(cache.get("n", "x")->at("metadata").at("annotations"),
            nlohmann::json({{"tenantshift.dev/plan-hash", "abc"}}));
}

TEST(ObjectCache, ReplaceReportsTheDifferencesAndMarksSynced) {
  ObjectCache cache;
  cache.upsert(configMap("n", "kept", "1"));
  cache.upsert(configMap("n", "changed", "2"));
  cache.upsert(configMap("n", "gone", "3"));
  const auto changes = cache.replace(
      {configMap("n", "kept", "1"), configMap("n", "changed", "9"), configMap("n", "new", "10")},
      "10");
  std::vector<std::string> described;
  for (const auto& change : changes) {
    const auto& object = change.after ? *change.after : *change.before;
    described.push_back(std::to_string(static_cast<int>(change.kind)) + " " + objectKey(object));
  }
  EXPECT_EQ(described, (std::vector<std::string>{"1 n/changed", "0 n/new", "2 n/gone"}));
  EXPECT_TRUE(cache.hasSynced());
  EXPECT_TRUE(cache.waitForSync(std::chrono::milliseconds(0)));
  EXPECT_EQ(cache.listResourceVersion(), "10");
  EXPECT_EQ(namesOf(cache.list()),
            (std::vector<std::string>{"n/changed@9", "n/kept@1", "n/new@10"}));
}

TEST(ObjectCache, ObjectsHandedOutStayAsTheyWereWhenTheCacheMovesOn) {
  ObjectCache cache;
  cache.upsert(configMap("n", "x", "1", {{"k", "old"}}));
  const ObjectPtr held = cache.get("n", "x");
  cache.upsert(configMap("n", "x", "2", {{"k", "new"}}));
  cache.erase(configMap("n", "x", "3"));
  EXPECT_EQ((*held)["data"]["k"], "old");
}

TEST(ObjectCache, ReadersWhileAWriterWrites) {
  ObjectCache cache;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      cache.upsert(configMap("n", "o" + std::to_string(i % 50), std::to_string(i)));
      if (i % 100 == 0) {
        cache.replace({configMap("n", "o1", std::to_string(i))}, std::to_string(i));
      }
    }
    done = true;
  });
  std::size_t reads = 0;
  while (!done) {
    for (const auto& object : cache.list("n")) {
      EXPECT_EQ((*object)["metadata"]["namespace"], "n");
      ++reads;
    }
  }
  writer.join();
  EXPECT_GT(reads + cache.size(), 0U);
  EXPECT_EQ(cache.size(), 50U);
}

class Recorder final : public InformerListener {
 public:
  void onAdd(const nlohmann::json& object) override { log.push_back("add " + key(object)); }
  void onUpdate(const nlohmann::json& before, const nlohmann::json& after) override {
    log.push_back("update " + key(before) + "->" + resourceVersionOf(after));
  }
  void onDelete(const nlohmann::json& object) override { log.push_back("delete " + key(object)); }
  std::vector<std::string> log;

 private:
  static std::string key(const nlohmann::json& object) {
    return objectKey(object) + "@" + resourceVersionOf(object);
  }
};

TEST(Informer, CacheFollowsListsAndEventsAndTheListenerHearsEachChange) {
  FakeClock clock;
  FixedRandom random(0.0);
  std::stop_source stopper;
  FakeKubeClient client(clock, stopper);
  client.lists.emplace_back([](const ListOptions&) {
    return listOf({configMap("n", "a", "1"), configMap("n", "b", "2")}, "2");
  });
  client.watches.push_back(WatchScript{{event(WatchEventType::Modified, configMap("n", "a", "3")),
                                        event(WatchEventType::Added, configMap("n", "c", "4")),
                                        event(WatchEventType::Deleted, configMap("n", "b", "5"))},
                                       std::chrono::seconds(10),
                                       [] { throw testing::gone(); }});
  client.lists.emplace_back([](const ListOptions&) {
    return listOf({configMap("n", "a", "3"), configMap("n", "d", "7")}, "7");
  });

  Recorder recorder;
  ReflectorOptions options;
  options.collection = ResourceRef{resources::configMaps(), "n", "", ""};
  Informer informer(client, options, clock, random, &recorder);
  // The fake requests stop on `stopper` when its script runs out; the reflector returns then.
  std::promise<void> scriptDone;
  std::stop_callback onScriptDone(stopper.get_token(), [&scriptDone] { scriptDone.set_value(); });
  informer.start();
  EXPECT_TRUE(informer.waitForSync(std::chrono::seconds(30)));
  ASSERT_EQ(scriptDone.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  informer.stop();

  EXPECT_EQ(recorder.log,
            (std::vector<std::string>{"add n/a@1", "add n/b@2", "update n/a@1->3", "add n/c@4",
                                      "delete n/b@2", "add n/d@7", "delete n/c@4"}));
  EXPECT_EQ(namesOf(informer.cache().list()), (std::vector<std::string>{"n/a@3", "n/d@7"}));
  EXPECT_EQ(informer.cache().listResourceVersion(), "7");
}

// A client whose watch blocks until stop is requested: the informer must end it promptly.
class BlockingWatchClient final : public KubeClient {
 public:
  nlohmann::json get(const ResourceRef&) override { return {}; }
  nlohmann::json list(const ResourceRef&, const ListOptions&, std::stop_token) override {
    return listOf({}, "1");
  }
  WatchEnd watch(const ResourceRef&, const WatchOptions&, const WatchHandler&,
                 std::stop_token stop) override {
    std::mutex mutex;
    std::condition_variable_any wakeup;
    std::unique_lock lock(mutex);
    watching.set_value();
    wakeup.wait(lock, stop, [] { return false; });
    return WatchEnd::Stopped;
  }
  nlohmann::json create(const ResourceRef&, const nlohmann::json&, const WriteOptions&) override {
    return {};
  }
  nlohmann::json update(const ResourceRef&, const nlohmann::json&, const WriteOptions&) override {
    return {};
  }
  nlohmann::json patch(const ResourceRef&, PatchType, const nlohmann::json&,
                       const PatchOptions&) override {
    return {};
  }
  nlohmann::json remove(const ResourceRef&, const DeleteOptions&) override { return {}; }
  std::promise<void> watching;
};

TEST(Informer, StopEndsAWatchInProgressAndJoinsTheThread) {
  BlockingWatchClient client;
  SteadyClock clock;
  FixedRandom random(0.0);
  ReflectorOptions options;
  options.collection = ResourceRef{resources::configMaps(), "", "", ""};
  Informer informer(client, options, clock, random);
  std::future<void> watching = client.watching.get_future();
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(30)));
  ASSERT_EQ(watching.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  informer.stop();  // ends the watch and returns once the thread has ended
  EXPECT_THROW(informer.start(), std::logic_error);
}

}  // namespace
}  // namespace tenantshift::kube
