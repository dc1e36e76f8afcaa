#include "kube/resource_path.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "kube/request_options.h"

namespace tenantshift::kube {
namespace {

TEST(ResourcePath, CoreGroupUsesApiV1) {
  EXPECT_EQ(collectionPath(resources::configMaps(), "team"), "/api/v1/namespaces/team/configmaps");
  EXPECT_EQ(objectPath({resources::configMaps(), "team", "settings", ""}),
            "/api/v1/namespaces/team/configmaps/settings");
}

TEST(ResourcePath, NamedGroupUsesApisGroupVersion) {
  EXPECT_EQ(collectionPath(resources::tenantMigrations(), "prod"),
            "/apis/tenantshift.dev/v1alpha1/namespaces/prod/tenantmigrations");
  EXPECT_EQ(objectPath({resources::jobs(), "prod", "migrate-1", ""}),
            "/apis/batch/v1/namespaces/prod/jobs/migrate-1");
}

TEST(ResourcePath, AllNamespacesAndClusterScoped) {
  EXPECT_EQ(collectionPath(resources::tenantMigrations(), ""),
            "/apis/tenantshift.dev/v1alpha1/tenantmigrations");
  EXPECT_EQ(objectPath({resources::namespaces(), "", "prod", ""}), "/api/v1/namespaces/prod");
  EXPECT_EQ(objectPath({resources::customResourceDefinitions(), "",
                        "tenantmigrations.tenantshift.dev", ""}),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
            "tenantmigrations.tenantshift.dev");
}

TEST(ResourcePath, Subresources) {
  const ResourceRef migration{resources::tenantMigrations(), "prod", "alpha", ""};
  EXPECT_EQ(objectPath(migration.status()),
            "/apis/tenantshift.dev/v1alpha1/namespaces/prod/tenantmigrations/alpha/status");
  EXPECT_EQ(objectPath(migration.status().object()), objectPath(migration));
  EXPECT_EQ(pathOf({resources::serviceAccounts(), "prod", "reader", "token"}),
            "/api/v1/namespaces/prod/serviceaccounts/reader/token");
  EXPECT_EQ(pathOf({resources::configMaps(), "prod", "", ""}),
            "/api/v1/namespaces/prod/configmaps");
}

TEST(ResourcePath, SegmentsArePercentEncoded) {
  EXPECT_EQ(objectPath({resources::configMaps(), "a b", "x/y", ""}),
            "/api/v1/namespaces/a%20b/configmaps/x%2Fy");
}

TEST(ResourcePath, ReferencesThatCannotNameAnObjectAreRefused) {
  EXPECT_THROW(objectPath({resources::configMaps(), "team", "", ""}), std::invalid_argument);
  EXPECT_THROW(objectPath({resources::configMaps(), "", "x", ""}), std::invalid_argument);
  EXPECT_THROW(collectionPath(resources::namespaces(), "team"), std::invalid_argument);
  EXPECT_THROW(pathOf({resources::configMaps(), "team", "", "status"}), std::invalid_argument);
  try {
    objectPath({resources::configMaps(), "", "settings", ""});
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()),
              "configmaps settings: configmaps is namespaced: give the object's namespace");
  }
}

TEST(ResourceRef, KeysAndNames) {
  const ResourceRef ref{resources::tenantMigrations(), "prod", "alpha", ""};
  EXPECT_EQ(ref.key(), "prod/alpha");
  EXPECT_EQ(ref.status().displayName(), "tenantmigrations.tenantshift.dev prod/alpha/status");
  EXPECT_EQ(resources::jobs().apiVersion(), "batch/v1");
  EXPECT_EQ(resources::pods().apiVersion(), "v1");
  const nlohmann::json object = {{"metadata", {{"namespace", "prod"}, {"name", "alpha"}}}};
  EXPECT_EQ(objectKey(object), "prod/alpha");
  EXPECT_EQ(refTo(resources::tenantMigrations(), object), ref);
  EXPECT_EQ(objectKey(nlohmann::json{{"metadata", {{"name", "node-1"}}}}), "node-1");
  EXPECT_EQ(resourceVersionOf(nlohmann::json::object()), "");
}

TEST(RequestOptions, ListQuery) {
  ListOptions list;
  EXPECT_EQ(listQuery(list).toString(), "");
  list.labelSelector = "app=web,tier in (a,b)";
  list.fieldSelector = "metadata.name=x";
  list.limit = 50;
  list.continueToken = "eyJ2IjoibWV0YS5rOHMuaW8vdjEi";
  EXPECT_EQ(listQuery(list).toString(),
            "?labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29&fieldSelector=metadata.name%3Dx"
            "&limit=50&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEi");
}

TEST(RequestOptions, WatchQueryAsksForBookmarksAndATimeout) {
  WatchOptions watch;
  watch.resourceVersion = "1234";
  watch.timeout = std::chrono::seconds(290);
  EXPECT_EQ(watchQuery(watch).toString(),
            "?watch=true&resourceVersion=1234&allowWatchBookmarks=true&timeoutSeconds=290");
  watch.timeout = std::chrono::seconds(0);
  EXPECT_THROW(watchQuery(watch), std::invalid_argument);
}

TEST(RequestOptions, PatchQueryAndContentTypes) {
  EXPECT_EQ(patchQuery(PatchType::Apply, {"tenantshift", true, false}).toString(),
            "?fieldManager=tenantshift&force=true");
  EXPECT_EQ(patchQuery(PatchType::Merge, {}).toString(), "");
  EXPECT_EQ(patchQuery(PatchType::Json, {"", false, true}).toString(), "?dryRun=All");
  EXPECT_THROW(patchQuery(PatchType::Apply, {}), std::invalid_argument);
  EXPECT_THROW(patchQuery(PatchType::Merge, {"m", true, false}), std::invalid_argument);
  EXPECT_EQ(contentTypeOf(PatchType::Merge), "application/merge-patch+json");
  EXPECT_EQ(contentTypeOf(PatchType::Json), "application/json-patch+json");
  EXPECT_EQ(contentTypeOf(PatchType::Apply), "application/apply-patch+yaml");
  EXPECT_EQ(contentTypeOf(PatchType::StrategicMerge), "application/strategic-merge-patch+json");
}

TEST(RequestOptions, DeleteBody) {
  EXPECT_EQ(deleteBody({}), nlohmann::json::object());
  DeleteOptions options;
  options.propagationPolicy = PropagationPolicy::Foreground;
  options.preconditions = {"uid-1", "77"};
  options.gracePeriodSeconds = 0;
  EXPECT_EQ(deleteBody(options),
            (nlohmann::json{
                {"kind", "DeleteOptions"},
                {"apiVersion", "v1"},
                {"propagationPolicy", "Foreground"},
                {"preconditions", {{"uid", "uid-1"}, {"resourceVersion", "77"}}},
                {"gracePeriodSeconds", 0},
            }));
}

}  // namespace
}  // namespace tenantshift::kube
