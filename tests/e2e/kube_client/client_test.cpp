// CpprestKubeClient against the real API server: every verb on ConfigMaps, optimistic
// concurrency, patches of each type, server-side apply conflicts, deletes with preconditions,
// pagination, and the errors an operator acts on.
#include <gtest/gtest.h>

#include <set>

#include "kube/finalizers.h"
#include "kube/kube_error.h"
#include "kube/update_with_retry.h"
#include "kube_e2e.h"

namespace tenantshift::kube::e2e {
namespace {

// Runs `call` and returns the KubeError it throws (fails the test if it throws none).
template <typename Call>
KubeError errorOf(Call&& call) {
  try {
    call();
  } catch (const KubeError& error) {
    return error;
  }
  ADD_FAILURE() << "expected a KubeError";
  return KubeError("", "", 0, "", "");
}

TEST_F(KubeE2E, ConfigMapCreateGetListUpdateDelete) {
  const nlohmann::json created =
      admin_->create(configMaps(), newConfigMap("settings", {{"mode", "fast"}}, {{"app", "web"}}),
                     {"tenantshift-e2e", false});
  EXPECT_EQ(created["metadata"]["namespace"], ns_);
  EXPECT_FALSE(resourceVersionOf(created).empty());
  admin_->create(configMaps(), newConfigMap("other", {{"x", "1"}}, {{"app", "db"}}), {});

  nlohmann::json read = admin_->get(configMap("settings"));
  EXPECT_EQ(read["data"]["mode"], "fast");
  EXPECT_EQ(read["metadata"]["uid"], created["metadata"]["uid"]);

  ListOptions byLabel;
  byLabel.labelSelector = "app=web";
  const nlohmann::json web = admin_->list(configMaps(), byLabel, {});
  ASSERT_EQ(web["items"].size(), 1U);
  EXPECT_EQ(web["items"][0]["metadata"]["name"], "settings");
  ListOptions byField;
  byField.fieldSelector = "metadata.name=other";
  EXPECT_EQ(admin_->list(configMaps(), byField, {})["items"].size(), 1U);

  read["data"]["mode"] = "safe";
  const nlohmann::json updated = admin_->update(configMap("settings"), read, {});
  EXPECT_EQ(updated["data"]["mode"], "safe");
  EXPECT_NE(resourceVersionOf(updated), resourceVersionOf(created));

  admin_->remove(configMap("settings"), {});
  const KubeError missing = errorOf([&] { admin_->get(configMap("settings")); });
  EXPECT_TRUE(missing.isNotFound());
  EXPECT_EQ(missing.reason(), "NotFound");
  EXPECT_EQ(missing.verb(), "GET");
  EXPECT_EQ(missing.path(), "/api/v1/namespaces/" + ns_ + "/configmaps/settings");
  EXPECT_EQ(missing.serverMessage(), "configmaps \"settings\" not found");
}

TEST_F(KubeE2E, CreatingTwiceIsAlreadyExists) {
  admin_->create(configMaps(), newConfigMap("once", {}), {});
  const KubeError error =
      errorOf([&] { admin_->create(configMaps(), newConfigMap("once", {}), {}); });
  EXPECT_EQ(error.code(), 409);
  EXPECT_TRUE(error.isAlreadyExists());
  EXPECT_NE(std::string(error.what())
                .find("POST /api/v1/namespaces/" + ns_ +
                      "/configmaps: 409 AlreadyExists: configmaps \"once\" "
                      "already exists"),
            std::string::npos)
      << error.what();
}

TEST_F(KubeE2E, StaleResourceVersionIsAConflictAndTheRetryHelperRereads) {
  admin_->create(configMaps(), newConfigMap("counter", {{"n", "0"}}), {});
  const nlohmann::json first = admin_->get(configMap("counter"));
  nlohmann::json newer = first;
  newer["data"]["n"] = "1";
  admin_->update(configMap("counter"), newer, {});

  nlohmann::json stale = first;
  stale["data"]["n"] = "2";
  const KubeError conflict = errorOf([&] { admin_->update(configMap("counter"), stale, {}); });
  EXPECT_TRUE(conflict.isConflict());
  EXPECT_FALSE(conflict.isAlreadyExists());
  EXPECT_EQ(conflict.reason(), "Conflict");
  EXPECT_NE(conflict.serverMessage().find("the object has been modified"), std::string::npos);

  // A second writer gets in between the helper's read and its write, twice: the helper reads
  // again each time and the other writer's changes survive.
  int writesBetween = 0;
  const nlohmann::json result =
      updateWithRetry(*admin_, configMap("counter"), [&](nlohmann::json& cm) {
        if (writesBetween < 2) {
          ++writesBetween;
          nlohmann::json other = admin_->get(configMap("counter"));
          other["data"]["other" + std::to_string(writesBetween)] = "x";
          admin_->update(configMap("counter"), other, {});
        }
        cm["data"]["n"] = std::to_string(std::stoi(cm["data"]["n"].get<std::string>()) + 10);
      });
  EXPECT_EQ(writesBetween, 2);
  EXPECT_EQ(result["data"]["n"], "11");
  EXPECT_EQ(result["data"]["other1"], "x");
  EXPECT_EQ(result["data"]["other2"], "x");
}

TEST_F(KubeE2E, MergePatchAndJsonPatchWithAFailingTestIs422) {
  admin_->create(configMaps(), newConfigMap("patched", {{"a", "1"}, {"b", "2"}}), {});
  nlohmann::json merged = admin_->patch(
      configMap("patched"), PatchType::Merge,
      {{"metadata", {{"labels", {{"tier", "gold"}}}}}, {"data", {{"b", nullptr}, {"c", "3"}}}}, {});
  EXPECT_EQ(merged["metadata"]["labels"]["tier"], "gold");
  EXPECT_EQ(merged["data"], (nlohmann::json{{"a", "1"}, {"c", "3"}}));

  JsonPatch guarded;
  guarded.test("/data/a", "1").replace("/data/a", "10");
  nlohmann::json patched =
      admin_->patch(configMap("patched"), PatchType::Json, guarded.operations(), {});
  EXPECT_EQ(patched["data"]["a"], "10");

  // The same patch again: its test fails now, and nothing changes.
  const KubeError failed = errorOf(
      [&] { admin_->patch(configMap("patched"), PatchType::Json, guarded.operations(), {}); });
  EXPECT_EQ(failed.code(), 422);
  EXPECT_TRUE(failed.isInvalid());
  EXPECT_EQ(failed.reason(), "Invalid");
  EXPECT_EQ(admin_->get(configMap("patched"))["data"]["a"], "10");

  // Strategic merge for a built-in type.
  nlohmann::json strategic =
      admin_->patch(configMap("patched"), PatchType::StrategicMerge, {{"data", {{"d", "4"}}}}, {});
  EXPECT_EQ(strategic["data"]["d"], "4");
}

TEST_F(KubeE2E, FinalizerEditsAreGuardedAgainstConcurrentEdits) {
  admin_->create(configMaps(), newConfigMap("guarded", {}), {});
  const nlohmann::json read = admin_->get(configMap("guarded"));
  const auto add = addFinalizerPatch(read, "tenantshift.dev/cleanup");
  ASSERT_TRUE(add.has_value());

  // Someone else adds a finalizer after our read: our guarded patch is refused, theirs kept.
  nlohmann::json theirs = read;
  theirs["metadata"]["finalizers"] = {"other.example/keep"};
  admin_->update(configMap("guarded"), theirs, {});
  const KubeError refused =
      errorOf([&] { admin_->patch(configMap("guarded"), PatchType::Json, add->operations(), {}); });
  EXPECT_TRUE(refused.isInvalid()) << refused.what();

  // Read again, recompute, and it applies.
  const nlohmann::json fresh = admin_->get(configMap("guarded"));
  const nlohmann::json added =
      admin_->patch(configMap("guarded"), PatchType::Json,
                    addFinalizerPatch(fresh, "tenantshift.dev/cleanup")->operations(), {});
  EXPECT_EQ(added["metadata"]["finalizers"],
            (nlohmann::json{"other.example/keep", "tenantshift.dev/cleanup"}));

  // Deleting keeps the object while finalizers remain; removing ours and then theirs lets it go.
  const nlohmann::json deleting = admin_->remove(configMap("guarded"), {});
  EXPECT_TRUE(deleting["metadata"].contains("deletionTimestamp"));
  const nlohmann::json removed =
      admin_->patch(configMap("guarded"), PatchType::Json,
                    removeFinalizerPatch(deleting, "tenantshift.dev/cleanup")->operations(), {});
  EXPECT_EQ(removed["metadata"]["finalizers"], (nlohmann::json{"other.example/keep"}));
  admin_->patch(configMap("guarded"), PatchType::Json,
                removeFinalizerPatch(removed, "other.example/keep")->operations(), {});
  EXPECT_TRUE(errorOf([&] { admin_->get(configMap("guarded")); }).isNotFound());
}

TEST_F(KubeE2E, ServerSideApplyConflictsUnlessForced) {
  const nlohmann::json intent = {{"apiVersion", "v1"},
                                 {"kind", "ConfigMap"},
                                 {"metadata", {{"name", "applied"}, {"namespace", ns_}}},
                                 {"data", {{"owner", "a"}, {"onlyA", "yes"}}}};
  const nlohmann::json first =
      admin_->patch(configMap("applied"), PatchType::Apply, intent, {"manager-a", false, false});
  EXPECT_EQ(first["data"]["owner"], "a");

  nlohmann::json other = intent;
  other["data"] = {{"owner", "b"}};
  const KubeError conflict = errorOf([&] {
    admin_->patch(configMap("applied"), PatchType::Apply, other, {"manager-b", false, false});
  });
  EXPECT_EQ(conflict.code(), 409);
  EXPECT_EQ(conflict.reason(), "Conflict");
  EXPECT_NE(conflict.serverMessage().find("conflict with \"manager-a\""), std::string::npos)
      << conflict.what();
  EXPECT_NE(std::string(conflict.what()).find("apply with force to take them over"),
            std::string::npos);

  const nlohmann::json forced =
      admin_->patch(configMap("applied"), PatchType::Apply, other, {"manager-b", true, false});
  EXPECT_EQ(forced["data"]["owner"], "b");
  EXPECT_EQ(forced["data"]["onlyA"], "yes");  // still manager-a's
  std::set<std::string> managers;
  for (const auto& entry : forced["metadata"]["managedFields"]) {
    managers.insert(entry["manager"].get<std::string>());
  }
  EXPECT_EQ(managers, (std::set<std::string>{"manager-a", "manager-b"}));

  // A dry run changes nothing.
  nlohmann::json dry = other;
  dry["data"]["owner"] = "dry";
  EXPECT_EQ(admin_->patch(configMap("applied"), PatchType::Apply, dry,
                          {"manager-b", true, true})["data"]["owner"],
            "dry");
  EXPECT_EQ(admin_->get(configMap("applied"))["data"]["owner"], "b");
}

TEST_F(KubeE2E, DeletePreconditionsAndPropagation) {
  const nlohmann::json created = admin_->create(configMaps(), newConfigMap("doomed", {}), {});
  DeleteOptions wrongUid;
  wrongUid.preconditions.uid = "00000000-0000-0000-0000-000000000000";
  const KubeError refused = errorOf([&] { admin_->remove(configMap("doomed"), wrongUid); });
  EXPECT_TRUE(refused.isConflict());
  EXPECT_NE(refused.serverMessage().find(
                "the UID in the precondition (00000000-0000-0000-0000-000000000000) does not "
                "match the UID in record"),
            std::string::npos)
      << refused.what();

  DeleteOptions staleVersion;
  staleVersion.preconditions.resourceVersion = "1";
  EXPECT_TRUE(errorOf([&] { admin_->remove(configMap("doomed"), staleVersion); }).isConflict());

  DeleteOptions exact;
  exact.preconditions.uid = created["metadata"]["uid"];
  exact.preconditions.resourceVersion = resourceVersionOf(created);
  exact.propagationPolicy = PropagationPolicy::Background;
  const nlohmann::json status = admin_->remove(configMap("doomed"), exact);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["status"], "Success");
  EXPECT_TRUE(errorOf([&] { admin_->get(configMap("doomed")); }).isNotFound());

  // Foreground: the owner stays (with the foregroundDeletion finalizer) until the garbage
  // collector has deleted its dependents, then goes.
  admin_->create(configMaps(), newConfigMap("owner", {}), {});
  DeleteOptions foreground;
  foreground.propagationPolicy = PropagationPolicy::Foreground;
  const nlohmann::json pending = admin_->remove(configMap("owner"), foreground);
  EXPECT_EQ(pending["kind"], "ConfigMap");
  EXPECT_TRUE(hasFinalizer(pending, "foregroundDeletion"));
}

TEST_F(KubeE2E, ListPagesWithLimitAndContinue) {
  for (int i = 0; i < 7; ++i) {
    admin_->create(configMaps(), newConfigMap("page-" + std::to_string(i), {}, {{"paged", "yes"}}),
                   {});
  }
  ListOptions page;
  page.labelSelector = "paged=yes";
  page.limit = 3;
  std::set<std::string> names;
  int pages = 0;
  std::string resourceVersion;
  do {
    const nlohmann::json list = admin_->list(configMaps(), page, {});
    ++pages;
    EXPECT_LE(list["items"].size(), 3U);
    for (const auto& item : list["items"]) {
      names.insert(item["metadata"]["name"].get<std::string>());
    }
    // Every page is of one snapshot.
    if (resourceVersion.empty()) {
      resourceVersion = list["metadata"]["resourceVersion"];
    }
    EXPECT_EQ(list["metadata"]["resourceVersion"], resourceVersion);
    page.continueToken = list["metadata"].value("continue", "");
  } while (!page.continueToken.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names.size(), 7U);
}

TEST_F(KubeE2E, ClusterScopedObjectsAndAllNamespaceLists) {
  const nlohmann::json ns = admin_->get({resources::namespaces(), "", ns_, ""});
  EXPECT_EQ(ns["status"]["phase"], "Active");
  admin_->create(configMaps(), newConfigMap("everywhere", {}, {{"marker", ns_}}), {});
  ListOptions marked;
  marked.labelSelector = "marker=" + ns_;
  const nlohmann::json all = admin_->list({resources::configMaps(), "", "", ""}, marked, {});
  ASSERT_EQ(all["items"].size(), 1U);
  EXPECT_EQ(all["items"][0]["metadata"]["namespace"], ns_);
}

}  // namespace
}  // namespace tenantshift::kube::e2e
