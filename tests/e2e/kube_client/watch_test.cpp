// Watches against the real API server: the raw client watch (events, the server ending it,
// 410 Gone after compaction, a client timeout shorter than the watch's), and the informer:
// create/modify/delete in its cache, resuming after the server closes the stream, re-listing
// after 410, and a prompt stop.
#include <cpprest/http_client.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "kube/kube_error.h"
#include "kube_e2e.h"

namespace tenantshift::kube::e2e {
namespace {

// Compacts etcd up to its current revision: every older resourceVersion is gone, as it is on a
// cluster that has run for a while (the API server compacts every 5 minutes).
void compactEtcd(const std::string& revision) {
  web::http::client::http_client etcd(planeVariable("E2E_ETCD_URL"));
  web::http::http_request request(web::http::methods::POST);
  request.set_request_uri("/v3/kv/compaction");
  request.set_body(nlohmann::json{{"revision", revision}, {"physical", true}}.dump(),
                   "application/json");
  const web::http::http_response response = etcd.request(request).get();
  ASSERT_EQ(response.status_code(), 200) << response.extract_utf8string(true).get();
}

nlohmann::json event(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"involvedObject", {{"kind", "ConfigMap"}, {"name", "x"}, {"namespace", ns}}},
          {"reason", "Testing"},
          {"message", "from the kube client e2e test"},
          {"type", "Normal"}};
}

class Watches : public KubeE2E {
 protected:
  ReflectorOptions options(const ResourceRef& collection) const {
    ReflectorOptions result;
    result.collection = collection;
    result.pageSize = 2;
    return result;
  }
  ResourceRef events() const { return {resources::events(), ns_, "", ""}; }

  SteadyClock clock_;
  StdRandomSource random_;
};

TEST_F(Watches, ClientWatchDeliversEventsInOrderUntilTheServerEndsIt) {
  const std::string from = admin_->list(configMaps(), {}, {})["metadata"]["resourceVersion"];
  admin_->create(configMaps(), newConfigMap("w", {{"v", "1"}}), {});
  admin_->patch(configMap("w"), PatchType::Merge, {{"data", {{"v", "2"}}}}, {});
  admin_->remove(configMap("w"), {});

  WatchOptions watch;
  watch.resourceVersion = from;
  watch.timeout = std::chrono::seconds(2);
  watch.fieldSelector = "metadata.name=w";
  std::vector<std::string> seen;
  const WatchEnd end =
      admin_->watch(configMaps(), watch,
                    [&](const WatchEvent& e) {
                      if (e.type != WatchEventType::Bookmark) {
                        seen.push_back(toString(e.type) + " " + e.object["data"].value("v", ""));
                      }
                    },
                    {});
  EXPECT_EQ(end, WatchEnd::Closed);  // the server ended it after timeoutSeconds
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED 1", "MODIFIED 2", "DELETED 2"}));
}

TEST_F(Watches, QuietWatchOutlastsTheClientsRequestTimeout) {
  ClusterConfig config = admin_->config();
  config.requestTimeout = std::chrono::seconds(1);
  CpprestKubeClient impatient(config);
  WatchOptions watch;
  watch.resourceVersion = impatient.list(configMaps(), {}, {})["metadata"]["resourceVersion"];
  watch.fieldSelector = "metadata.name=never-created";
  watch.timeout = std::chrono::seconds(4);
  int changes = 0;
  int bookmarks = 0;
  EXPECT_EQ(impatient.watch(configMaps(), watch,
                            [&](const WatchEvent& e) {
                              if (e.type == WatchEventType::Bookmark) {
                                // The server sends bookmarks on a quiet watch: a resourceVersion to
                                // resume from, and nothing else.
                                EXPECT_FALSE(resourceVersionOf(e.object).empty());
                                EXPECT_FALSE(e.object["metadata"].contains("name"));
                                ++bookmarks;
                              } else {
                                ++changes;
                              }
                            },
                            {}),
            WatchEnd::Closed);
  EXPECT_EQ(changes, 0);
  RecordProperty("bookmarks", bookmarks);
}

TEST_F(Watches, WatchFromACompactedResourceVersionIsGone) {
  // Events are not in the API server's watch cache: their watch goes to etcd, which has
  // compacted the revision away.
  admin_->create(events(), event(ns_, "first"), {});
  compactEtcd(admin_->list(events(), {}, {})["metadata"]["resourceVersion"]);
  WatchOptions watch;
  watch.resourceVersion = "1";
  watch.timeout = std::chrono::seconds(10);
  try {
    admin_->watch(events(), watch, [](const WatchEvent&) {}, {});
    FAIL() << "the watch from resourceVersion 1 was not refused";
  } catch (const KubeError& error) {
    EXPECT_EQ(error.code(), 410);
    EXPECT_TRUE(error.isGone());
    EXPECT_EQ(error.reason(), "Expired");
    EXPECT_EQ(error.serverMessage(), "The resourceVersion for the provided watch is too old.");
    EXPECT_EQ(error.path(), "/api/v1/namespaces/" + ns_ +
                                "/events?watch=true&resourceVersion=1&allowWatchBookmarks=true&"
                                "timeoutSeconds=10");
  }
}

TEST_F(Watches, ListContinueTokenFromBeforeCompactionIsGone) {
  for (const char* name : {"a", "b", "c"}) {
    admin_->create(events(), event(ns_, name), {});
  }
  ListOptions page;
  page.limit = 1;
  const nlohmann::json first = admin_->list(events(), page, {});
  page.continueToken = first["metadata"]["continue"];
  ASSERT_FALSE(page.continueToken.empty());
  admin_->create(events(), event(ns_, "d"), {});
  compactEtcd(admin_->list(events(), {}, {})["metadata"]["resourceVersion"]);
  try {
    admin_->list(events(), page, {});
    FAIL() << "the stale continue token was accepted";
  } catch (const KubeError& error) {
    EXPECT_TRUE(error.isGone()) << error.what();
    EXPECT_EQ(error.reason(), "Expired");
  }
}

TEST_F(Watches, InformerCacheFollowsCreateModifyDelete) {
  admin_->create(configMaps(), newConfigMap("before", {{"k", "v"}}), {});
  EventLog log;
  Informer informer(*admin_, options(configMaps()), clock_, random_, &log);
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(60)));
  ASSERT_NE(informer.cache().get(ns_, "before"), nullptr);
  EXPECT_EQ((*informer.cache().get(ns_, "before"))["kind"], "ConfigMap");
  EXPECT_TRUE(log.awaitEntry("add " + ns_ + "/before"));

  admin_->create(configMaps(), newConfigMap("watched", {{"v", "1"}}), {});
  ASSERT_TRUE(log.awaitEntry("add " + ns_ + "/watched"));
  admin_->patch(configMap("watched"), PatchType::Merge, {{"data", {{"v", "2"}}}}, {});
  ASSERT_TRUE(log.awaitEntry("update " + ns_ + "/watched"));
  EXPECT_EQ((*informer.cache().get(ns_, "watched"))["data"]["v"], "2");
  admin_->remove(configMap("watched"), {});
  ASSERT_TRUE(log.awaitEntry("delete " + ns_ + "/watched"));
  EXPECT_EQ(informer.cache().get(ns_, "watched"), nullptr);
  EXPECT_NE(informer.cache().get(ns_, "before"), nullptr);
  informer.stop();
}

TEST_F(Watches, InformerResumesWhenTheServerEndsEachWatch) {
  CountingClient counting(*admin_);
  ReflectorOptions shortWatches = options(configMaps());
  shortWatches.watchTimeout = std::chrono::seconds(1);  // the server ends each after 1-2 s
  EventLog log;
  Informer informer(counting, shortWatches, clock_, random_, &log);
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(60)));
  ASSERT_TRUE(counting.awaitWatches(3));  // two have been closed by the server

  admin_->create(configMaps(), newConfigMap("late", {}), {});
  ASSERT_TRUE(log.awaitEntry("add " + ns_ + "/late"));
  ASSERT_TRUE(counting.awaitWatches(counting.watches().size() + 1));
  informer.stop();

  EXPECT_EQ(counting.lists(), 1U);  // resumed every time, never listed again
  const auto ends = counting.watchEnds();
  ASSERT_GE(ends.size(), 3U);
  for (std::size_t i = 0; i + 1 < ends.size(); ++i) {
    EXPECT_EQ(ends[i], "closed") << i;
  }
  EXPECT_EQ(ends.back(), "stopped");
  for (const auto& watch : counting.watches()) {
    EXPECT_FALSE(watch.resourceVersion.empty());
    EXPECT_TRUE(watch.allowWatchBookmarks);
    EXPECT_GE(watch.timeout, std::chrono::seconds(1));
    EXPECT_LE(watch.timeout, std::chrono::seconds(2));
  }
}

TEST_F(Watches, InformerListsAgainAfterGone) {
  admin_->create(events(), event(ns_, "old"), {});
  compactEtcd(admin_->list(events(), {}, {})["metadata"]["resourceVersion"]);
  CountingClient counting(*admin_);
  counting.firstWatchFrom("1");  // compacted: the server answers 410
  EventLog log;
  Informer informer(counting, options(events()), clock_, random_, &log);
  informer.start();
  ASSERT_TRUE(counting.awaitWatches(2));
  admin_->create(events(), event(ns_, "new"), {});
  ASSERT_TRUE(log.awaitEntry("add " + ns_ + "/new"));
  informer.stop();

  EXPECT_EQ(counting.lists(), 2U);
  const auto ends = counting.watchEnds();
  ASSERT_GE(ends.size(), 2U);
  EXPECT_NE(ends[0].find("410 Expired"), std::string::npos) << ends[0];
  EXPECT_NE(counting.watches()[1].resourceVersion, "1");
  EXPECT_NE(informer.cache().get(ns_, "old"), nullptr);
  EXPECT_EQ(log.entries().front(), "add " + ns_ + "/old");
}

TEST_F(Watches, StoppingAnInformerInTheMiddleOfAQuietWatchIsPrompt) {
  CountingClient counting(*admin_);
  ReflectorOptions longWatches = options(configMaps());
  longWatches.watchTimeout = std::chrono::seconds(900);  // far beyond this test's time limit
  Informer informer(counting, longWatches, clock_, random_);
  informer.start();
  ASSERT_TRUE(informer.waitForSync(std::chrono::seconds(60)));
  ASSERT_TRUE(counting.awaitWatches(1));
  auto stopped = std::async(std::launch::async, [&informer] { informer.stop(); });
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "stop() did not end the watch";
  EXPECT_EQ(counting.watchEnds(), (std::vector<std::string>{"stopped"}));
}

}  // namespace
}  // namespace tenantshift::kube::e2e
