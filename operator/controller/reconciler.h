#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "controller/decide.h"
#include "controller/migration_database.h"
#include "controller/wall_clock.h"
#include "kube/kube_client.h"
#include "kube/object_cache.h"

namespace tenantshift::controller {

// The informers' caches the reconciler reads instead of the API server. Jobs, pods and
// ConfigMaps are those labelled app.kubernetes.io/managed-by=tenantshift-operator.
struct ReconcilerCaches {
  const kube::ObjectCache& migrations;
  const kube::ObjectCache& jobs;
  const kube::ObjectCache& pods;
  const kube::ObjectCache& configMaps;
};

struct ReconcilerOptions {
  std::string image;  // of the phase Jobs
  std::string fieldManager = "tenantshift-operator";
  std::string instance;  // reportingInstance of Events (the pod's name)
};

struct ReconcileResult {
  std::optional<std::chrono::seconds> requeueAfter;
  bool gone = false;  // the TenantMigration no longer exists
};

// Level-triggered: gathers the TenantMigration, its Jobs, their pods and its dependencies from
// the informers' caches, its Secret (a GET: Secrets are not watched) and the database's ledger,
// asks decide() and carries out the decision through the API. Safe to call again at any time:
// every action is idempotent (creating what exists is not an error).
class Reconciler {
 public:
  // Everything passed must outlive the reconciler.
  Reconciler(kube::KubeClient& client, ReconcilerCaches caches, MigrationDatabase& database,
             const WallClock& clock, ReconcilerOptions options);

  // `id` goes on every log line of this reconcile.
  ReconcileResult reconcile(const std::string& ns, const std::string& name, const std::string& id);

 private:
  Observation observe(const nlohmann::json& object, std::string& databaseUrl) const;
  std::optional<Problem> manifestConflict(const nlohmann::json& object) const;
  void writeManifest(const nlohmann::json& object, const Observation& observed) const;
  // Returns the TenantMigration's versions its writes (finalizers, status) left behind: the
  // version read, and each but the last one written; empty when it wrote nothing.
  std::set<std::string> carryOut(const nlohmann::json& object, const Observation& observed,
                                 const Decision& decision, const std::string& id) const;
  // Whether the cache still holds a version of `key` this reconciler's last writes left behind
  // (the watch has not brought the last write yet): deciding from it would repeat the last
  // decision's Events.
  bool cacheBehindOwnWrite(const std::string& key, const std::string& resourceVersion);

  kube::KubeClient& client_;
  ReconcilerCaches caches_;
  MigrationDatabase& database_;
  const WallClock& clock_;
  ReconcilerOptions options_;
  std::mutex writesMutex_;
  // By key: what carryOut returned the last time it wrote. Guarded by writesMutex_.
  std::map<std::string, std::set<std::string>> staleVersions_;
};

}  // namespace tenantshift::controller
