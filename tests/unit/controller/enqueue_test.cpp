// What a change of a watched object queues: the migration itself, the migrations that depend on
// it, the owner of a Job, pod or ConfigMap.
#include "controller/enqueue.h"

#include <gtest/gtest.h>

#include "controller/phase_job.h"

namespace tenantshift::controller {
namespace {

nlohmann::json migration(const std::string& ns, const std::string& name,
                         const std::vector<std::string>& dependsOn = {}) {
  nlohmann::json depends = nlohmann::json::array();
  for (const auto& d : dependsOn) {
    depends.push_back({{"name", d}});
  }
  return {{"kind", "TenantMigration"},
          {"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", "1"}}},
          {"spec", {{"dependsOn", depends}}}};
}

std::vector<std::string> drain(WorkQueue& queue) {
  std::vector<std::string> keys;
  std::stop_source stop;
  while (queue.size() > 0) {
    const auto key = queue.get(stop.get_token());
    keys.push_back(*key);
    queue.done(*key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(Enqueue, AChangedMigrationQueuesItselfAndItsDependentsInItsNamespace) {
  kube::ObjectCache cache;
  cache.replace(
      {migration("apps", "platform"), migration("apps", "billing", {"platform"}),
       migration("apps", "shop", {"billing", "platform"}), migration("apps", "other", {"billing"}),
       migration("team-b", "shop", {"platform"})},
      "1");
  EXPECT_EQ(dependentsOf(cache, "apps", "platform"),
            (std::vector<std::string>{"apps/billing", "apps/shop"}));
  WorkQueue queue;
  EnqueueMigration listener(queue);
  listener.bind(cache);
  listener.onUpdate(migration("apps", "platform"), migration("apps", "platform"));
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"apps/billing", "apps/platform", "apps/shop"}));
  listener.onDelete(migration("apps", "billing"));
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"apps/billing", "apps/other", "apps/shop"}));
}

TEST(Enqueue, AnOwnedObjectQueuesTheMigrationItsLabelNames) {
  WorkQueue queue;
  EnqueueOwner listener(queue);
  listener.onAdd({{"metadata",
                   {{"namespace", "apps"},
                    {"name", "shop-backfill-g3-x1"},
                    {"labels", {{kMigrationLabel, "shop"}}}}}});
  listener.onDelete({{"metadata", {{"namespace", "apps"}, {"name", "unlabelled"}}}});
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"apps/shop"}));
}

}  // namespace
}  // namespace tenantshift::controller
