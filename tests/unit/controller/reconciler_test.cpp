// The reconciler between a fake API server (unit/kube/fakes.h), the caches its informers would
// fill (filled here from the fake's objects after each reconcile), a fake migration database and
// a fake clock: what it reads, what it writes, and in which order.
#include "controller/reconciler.h"

#include <cpprest/asyncrt_utils.h>
#include <gtest/gtest.h>

#include "controller/phase_job.h"
#include "controller_fakes.h"
#include "kube/finalizers.h"
#include "kube/resource.h"
#include "unit/kube/fakes.h"

namespace tenantshift::controller {
namespace {

namespace res = kube::resources;
using kube::testing::FakeClock;
using kube::testing::FakeKubeClient;
using plan::Phase;
using std::chrono::seconds;

constexpr const char* kUrl = "postgresql://owner:pw@db.example/shop";

// A plan of two steps per phase, the first `done` phases done.
LedgerView ledger(int done) {
  LedgerView view;
  view.planHash = "0123456789abcdef";
  int index = 0;
  for (Phase phase : plan::kPhases) {
    view.phases.push_back({phase, 2, index < done ? 2 : 0, "", ""});
    ++index;
  }
  view.enforceDone = done == static_cast<int>(plan::kPhases.size());
  return view;
}

nlohmann::json migration(const nlohmann::json& operatorFields = nlohmann::json::object()) {
  nlohmann::json spec = {
      {"database",
       {{"schema", "public"},
        {"appRole", "shop_app"},
        {"urlSecretRef", {{"name", "shop-db"}, {"key", "url"}}}}},
      {"tenant",
       {{"table", "tenants"},
        {"idType", "uuid"},
        {"setting", "app.current_tenant_id"},
        {"default",
         {{"id", "00000000-0000-0000-0000-000000000001"}, {"slug", "default"}, {"name", "D"}}}}}};
  spec.merge_patch(operatorFields);
  return {{"apiVersion", "tenantshift.dev/v1alpha1"},
          {"kind", "TenantMigration"},
          {"metadata",
           {{"name", "shop"}, {"namespace", "apps"}, {"uid", "uid-shop"}, {"generation", 1}}},
          {"spec", spec}};
}

nlohmann::json secret(bool optedIn) {
  nlohmann::json labels = nlohmann::json::object();
  if (optedIn) {
    labels[kSecretOptInLabel] = "true";
  }
  const std::string url = kUrl;
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "shop-db"}, {"namespace", "apps"}, {"labels", labels}}},
          {"data",
           {{"url", utility::conversions::to_base64(
                        std::vector<unsigned char>(url.begin(), url.end()))}}}};
}

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() {
    client.put(secret(true));
    database.ledger = ledger(0);
  }

  // What the informers would have: every stored object of the watched kinds (owned ones by their
  // managed-by label, as the operator's label selector picks them).
  void sync() {
    std::map<std::string, std::vector<nlohmann::json>> byResource;
    for (const auto& [key, object] : client.objects) {
      const std::string resource = key.substr(0, key.find('/'));
      const bool owned =
          object["metadata"].value("labels", nlohmann::json::object()).value(kManagedByLabel, "") ==
          kManagedBy;
      if (resource == "tenantmigrations" || owned) {
        byResource[resource].push_back(object);
      }
    }
    migrations.replace(byResource["tenantmigrations"], "1");
    jobs.replace(byResource["jobs"], "1");
    pods.replace(byResource["pods"], "1");
    configMaps.replace(byResource["configmaps"], "1");
  }
  void apply(const nlohmann::json& object) {
    client.put(object);
    sync();
  }
  ReconcileResult reconcile() {
    client.calls.clear();
    const ReconcileResult result = reconciler.reconcile("apps", "shop", "test");
    sync();
    return result;
  }
  nlohmann::json& stored(const kube::ResourceType& type, const std::string& name) {
    return client.stored(type, "apps", name);
  }
  nlohmann::json status() {
    return stored(res::tenantMigrations(), "shop").value("status", nlohmann::json());
  }
  std::string condition(const std::string& type, const char* field = "status") {
    for (const auto& c : status().value("conditions", nlohmann::json::array())) {
      if (c.value("type", "") == type) {
        return c.value(field, "");
      }
    }
    return "";
  }
  int events(const std::string& reason) {
    int count = 0;
    for (const auto& [key, object] : client.objects) {
      count += key.rfind("events/", 0) == 0 && object.value("reason", "") == reason ? 1 : 0;
    }
    return count;
  }
  // The Job as the Job controller leaves it when it ends.
  void finishJob(const std::string& name, const std::string& type) {
    nlohmann::json& job = stored(res::jobs(), name);
    job["status"]["conditions"] = {{{"type", type},
                                    {"status", "True"},
                                    {"reason", type == "Failed" ? "BackoffLimitExceeded" : ""},
                                    {"message", ""},
                                    {"lastTransitionTime", rfc3339(wall.now())}}};
    client.put(job);
    sync();
  }
  void pod(const std::string& name, const std::string& job, const std::string& phase,
           const std::string& terminationMessage = "") {
    nlohmann::json object = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"name", name},
          {"namespace", "apps"},
          {"labels",
           {{kMigrationLabel, "shop"}, {kManagedByLabel, kManagedBy}, {"job-name", job}}}}},
        {"status", {{"phase", phase}}}};
    if (!terminationMessage.empty()) {
      const nlohmann::json terminated = {
          {"exitCode", 7}, {"finishedAt", rfc3339(wall.now())}, {"message", terminationMessage}};
      nlohmann::json container = {{"name", "tenantshift"}};
      container["state"]["terminated"] = terminated;
      object["status"]["containerStatuses"] = nlohmann::json::array({container});
    }
    client.put(object);
    sync();
  }

  FakeClock kubeClock;
  std::stop_source stopper;
  FakeKubeClient client{kubeClock, stopper};
  kube::ObjectCache migrations;
  kube::ObjectCache jobs;
  kube::ObjectCache pods;
  kube::ObjectCache configMaps;
  testing::FakeMigrationDatabase database;
  testing::FakeWallClock wall{*parseRfc3339("2026-12-02T10:00:00Z")};
  Reconciler reconciler{
      client,
      {migrations, jobs, pods, configMaps},
      database,
      wall,
      ReconcilerOptions{"registry.example/tenantshift:1", "tenantshift-operator", "operator-0"}};
};

TEST_F(ReconcilerTest, ReadsTheCachesAndTheSecretNotTheApiServer) {
  apply(migration());
  const ReconcileResult first = reconcile();
  EXPECT_EQ(first.requeueAfter, seconds{10});
  EXPECT_EQ(client.callsStartingWith("get tenantmigrations"), 0);
  EXPECT_EQ(client.callsStartingWith("list"), 0);
  EXPECT_EQ(client.callsStartingWith("get secrets apps/shop-db"), 1);
  EXPECT_EQ(client.callsStartingWith("create jobs apps/shop-schema-g1"), 1);
  EXPECT_EQ(client.callsStartingWith("create configmaps apps/shop-manifest"), 1);
  EXPECT_EQ(client.callsStartingWith("patch tenantmigrations apps/shop/status"), 1);
  EXPECT_EQ(database.urls, std::vector<std::string>{kUrl});
  EXPECT_EQ(status()["currentJob"], "shop-schema-g1");
  EXPECT_EQ(events("PhaseStarted"), 1);

  // Next time the Job and the ConfigMap are in the caches: nothing is asked of the API server but
  // the Secret, and nothing is written but the status ("running" now, not "starting").
  const ReconcileResult second = reconcile();
  EXPECT_EQ(second.requeueAfter, seconds{10});
  EXPECT_EQ(client.calls, (std::vector<std::string>{"get secrets apps/shop-db",
                                                    "patch tenantmigrations apps/shop/status"}));
  EXPECT_EQ(events("PhaseStarted"), 1);
  // Nothing new (not even time): nothing written.
  reconcile();
  EXPECT_EQ(client.calls, (std::vector<std::string>{"get secrets apps/shop-db"}));
}

TEST_F(ReconcilerTest, AMigrationNotInTheCacheIsGone) {
  const ReconcileResult result = reconcile();
  EXPECT_TRUE(result.gone);
  EXPECT_TRUE(client.calls.empty());
}

TEST_F(ReconcilerTest, WhatTheCacheHasNotSeenOfItsOwnWriteIsNotDecidedAgain) {
  apply(migration());
  client.calls.clear();
  reconciler.reconcile("apps", "shop", "test");  // writes; the caches are not told
  client.calls.clear();
  const ReconcileResult stale = reconciler.reconcile("apps", "shop", "test");
  EXPECT_TRUE(client.calls.empty()) << "decided from the version it wrote over";
  EXPECT_EQ(stale.requeueAfter, seconds{1});
  sync();
  reconcile();
  EXPECT_EQ(client.callsStartingWith("get secrets"), 1);
  EXPECT_EQ(events("PhaseStarted"), 1);
}

TEST_F(ReconcilerTest, AVersionBetweenItsOwnWritesIsNotDecidedFromEither) {
  apply(migration());
  nlohmann::json finalized;  // the migration after the finalizer's patch, before the status's
  client.beforeCall = [&](const std::string& verb, const kube::ResourceRef& ref) {
    if (verb == "patch" && ref.subresource == "status") {
      finalized = stored(res::tenantMigrations(), "shop");
    }
  };
  reconciler.reconcile("apps", "shop", "test");
  client.beforeCall = nullptr;
  ASSERT_TRUE(kube::hasFinalizer(finalized, kFinalizer));
  migrations.upsert(finalized);  // the watch has brought the first write only
  client.calls.clear();
  reconciler.reconcile("apps", "shop", "test");
  EXPECT_TRUE(client.calls.empty()) << "decided from a status older than its own";
  sync();
  reconcile();
  EXPECT_EQ(events("PhaseStarted"), 1);
}

TEST_F(ReconcilerTest, SomeoneElsesManifestConfigMapIsNotOverwritten) {
  apply(kube::testing::configMap("apps", "shop-manifest", "", {{"app.conf", "theirs"}}));
  apply(migration());
  reconcile();
  EXPECT_EQ(condition("Stalled"), "True");
  EXPECT_EQ(condition("Stalled", "reason"), "ManifestConfigMapConflict");
  EXPECT_NE(condition("Stalled", "message").find("apps/shop-manifest"), std::string::npos);
  EXPECT_EQ(client.callsStartingWith("update configmaps"), 0);
  EXPECT_EQ(client.callsStartingWith("create jobs"), 0);
  EXPECT_EQ(stored(res::configMaps(), "shop-manifest")["data"]["app.conf"], "theirs");

  // Labelled like ours but owned by another object (an earlier migration of the same name):
  // still not ours.
  nlohmann::json lookalike = stored(res::configMaps(), "shop-manifest");
  lookalike["metadata"]["labels"] = {{kManagedByLabel, kManagedBy}, {kMigrationLabel, "shop"}};
  lookalike["metadata"]["ownerReferences"] = {{{"kind", "TenantMigration"}, {"uid", "uid-old"}}};
  apply(lookalike);
  reconcile();
  EXPECT_EQ(condition("Stalled", "reason"), "ManifestConfigMapConflict");
  EXPECT_EQ(client.callsStartingWith("create jobs"), 0);

  client.objects.erase(FakeKubeClient::objectStoreKey("configmaps", "apps/shop-manifest"));
  sync();
  reconcile();
  EXPECT_EQ(client.callsStartingWith("create jobs apps/shop-schema-g1"), 1);
  EXPECT_EQ(stored(res::configMaps(), "shop-manifest")["metadata"]["ownerReferences"][0]["uid"],
            "uid-shop");
  EXPECT_EQ(condition("Stalled"), "False");
}

TEST_F(ReconcilerTest, TheApprovedPlanHashGoesToTheJob) {
  apply(migration({{"requireApproval", true}, {"approvedPlan", "0123456789abcdef"}}));
  reconcile();
  const nlohmann::json args =
      stored(res::jobs(), "shop-schema-g1")["spec"]["template"]["spec"]["containers"][0]["args"];
  EXPECT_EQ(args[args.size() - 2], "--expect-plan-hash");
  EXPECT_EQ(args[args.size() - 1], "0123456789abcdef");
}

TEST_F(ReconcilerTest, ASecretProblemIsStalledNamingItWithoutReadingTheDatabase) {
  client.put(secret(false));
  apply(migration());
  EXPECT_EQ(reconcile().requeueAfter, seconds{30});
  EXPECT_EQ(condition("Stalled", "reason"), "SecretNotOptedIn");
  EXPECT_NE(condition("Stalled", "message").find("tenantshift.dev/database"), std::string::npos);
  EXPECT_EQ(database.reads, 0);
  EXPECT_EQ(client.callsStartingWith("create jobs"), 0);

  client.objects.erase(FakeKubeClient::objectStoreKey("secrets", "apps/shop-db"));
  reconcile();
  EXPECT_EQ(condition("Stalled", "reason"), "SecretNotFound");
  EXPECT_EQ(events("SecretNotFound"), 1) << "another cause of Stalled is news";

  client.put(secret(true));
  database.failure = [] { throw DatabaseUnreachable("cannot connect to the database: refused"); };
  reconcile();
  EXPECT_EQ(condition("Stalled", "reason"), "DatabaseUnreachable");

  database.failure = nullptr;
  reconcile();
  EXPECT_EQ(condition("Stalled"), "False");
  EXPECT_EQ(client.callsStartingWith("create jobs apps/shop-schema-g1"), 1);
}

TEST_F(ReconcilerTest, AFailedJobsTerminationMessageComesFromItsPodInTheCache) {
  database.ledger = ledger(4);
  apply(migration());
  reconcile();
  ASSERT_TRUE(client.has(res::jobs(), "apps", "shop-verify-g1"));
  pod("shop-verify-g1-x1", "shop-verify-g1", "Failed",
      R"({"outcome":"verify-failed","exitCode":7,"message":"orders leaks across tenants"})");
  finishJob("shop-verify-g1", "Failed");
  reconcile();
  EXPECT_EQ(client.callsStartingWith("list"), 0);
  EXPECT_EQ(condition("Stalled", "reason"), "VerifyFailed");
  EXPECT_NE(condition("Stalled", "message").find("orders leaks across tenants"), std::string::npos);
}

TEST_F(ReconcilerTest, ADependencyIsReadFromTheCache) {
  nlohmann::json platform = migration();
  platform["metadata"]["name"] = "platform";
  platform["metadata"]["uid"] = "uid-platform";
  apply(platform);
  apply(migration({{"dependsOn", {{{"name", "platform"}}}}}));
  reconcile();
  EXPECT_EQ(status()["phase"], "WaitingForDependencies");
  EXPECT_EQ(client.callsStartingWith("get tenantmigrations"), 0);

  platform = stored(res::tenantMigrations(), "platform");
  platform["status"] = {
      {"observedGeneration", 1},
      {"conditions", {{{"type", "Ready"}, {"status", "True"}, {"reason", "Enforced"}}}}};
  apply(platform);
  reconcile();
  EXPECT_EQ(client.callsStartingWith("create jobs apps/shop-schema-g1"), 1);
}

TEST_F(ReconcilerTest, DeletingWaitsForTheJobsPodsAndNeverReadsTheDatabase) {
  database.ledger = ledger(1);
  apply(migration());
  reconcile();
  pod("shop-backfill-g1-a", "shop-backfill-g1", "Running");
  const int readsBefore = database.reads;

  nlohmann::json deleting = stored(res::tenantMigrations(), "shop");
  deleting["metadata"]["deletionTimestamp"] = "2026-12-02T10:01:00Z";
  apply(deleting);
  reconcile();
  ASSERT_EQ(client.callsStartingWith("delete jobs apps/shop-backfill-g1"), 1);
  EXPECT_EQ(client.deletes.back().propagationPolicy, kube::PropagationPolicy::Foreground)
      << "the Job must outlive its pods";
  EXPECT_TRUE(kube::hasFinalizer(stored(res::tenantMigrations(), "shop"), kFinalizer));

  // The Job is gone, its pod still stops (between steps): the finalizer stays.
  const ReconcileResult waiting = reconcile();
  EXPECT_EQ(waiting.requeueAfter, seconds{2});
  EXPECT_TRUE(kube::hasFinalizer(stored(res::tenantMigrations(), "shop"), kFinalizer));
  EXPECT_NE(status().value("message", "").find("pod shop-backfill-g1-a"), std::string::npos)
      << status().dump();

  client.objects.erase(FakeKubeClient::objectStoreKey("pods", "apps/shop-backfill-g1-a"));
  sync();
  reconcile();
  EXPECT_FALSE(kube::hasFinalizer(stored(res::tenantMigrations(), "shop"), kFinalizer));
  EXPECT_EQ(database.reads, readsBefore) << "deleting reads (and changes) nothing in the database";
}

// Item: progress in status is never more than 15 s old while a backfill runs. The reconciler is
// run when its own requeue says (nothing else wakes it), the ledger moving on in between.
TEST_F(ReconcilerTest, ProgressInStatusIsNeverMoreThanFifteenSecondsOldWhileABackfillRuns) {
  database.ledger = ledger(1);
  apply(migration());
  reconcile();  // creates the backfill Job
  ASSERT_TRUE(client.has(res::jobs(), "apps", "shop-backfill-g1"));
  const auto start = wall.now();
  auto next = wall.now();
  std::int64_t rows = 0;
  while (wall.now() - start < std::chrono::minutes(3)) {
    if (wall.now() >= next) {
      rows += 1000;
      database.ledger.backfill = {{"orders", rows, 1'000'000, 500.0, false, rfc3339(wall.now())}};
      const ReconcileResult result = reconcile();
      ASSERT_TRUE(result.requeueAfter.has_value());
      EXPECT_LE(*result.requeueAfter, seconds{10});
      next = wall.now() + *result.requeueAfter;
      EXPECT_NE(status().value("progress", "").find("orders " + std::to_string(rows) + "/"),
                std::string::npos)
          << status().dump();
    }
    const auto observed = parseRfc3339(status().value("progressObservedAt", ""));
    ASSERT_TRUE(observed.has_value()) << status().dump();
    EXPECT_LE(wall.now() - *observed, seconds{15}) << "at " << rfc3339(wall.now());
    wall.advance(seconds{1});
  }
}

}  // namespace
}  // namespace tenantshift::controller
