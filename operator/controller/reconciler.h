#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "controller/decide.h"
#include "controller/migration_database.h"
#include "kube/kube_client.h"

namespace tenantshift::controller {

struct ReconcilerOptions {
  std::string image;  // of the phase Jobs
  std::string fieldManager = "tenantshift-operator";
  std::string instance;  // reportingInstance of Events (the pod's name)
  // RFC 3339 UTC; tests pass a fixed clock.
  std::function<std::string()> now;
};

struct ReconcileResult {
  std::optional<std::chrono::seconds> requeueAfter;
  bool gone = false;  // the TenantMigration no longer exists
};

// Level-triggered: gathers the TenantMigration, its Jobs, its Secret, its dependencies and the
// database's ledger, asks decide() and carries out the decision. Safe to call again at any
// time: every action is idempotent (creating what exists is not an error).
class Reconciler {
 public:
  Reconciler(kube::KubeClient& client, MigrationDatabase& database, ReconcilerOptions options);

  // `id` goes on every log line of this reconcile.
  ReconcileResult reconcile(const std::string& ns, const std::string& name, const std::string& id);

 private:
  Observation observe(const nlohmann::json& object, std::string& databaseUrl);
  void carryOut(const nlohmann::json& object, const Observation& observed, const Decision& decision,
                const std::string& id);

  kube::KubeClient& client_;
  MigrationDatabase& database_;
  ReconcilerOptions options_;
};

// Now, as RFC 3339 UTC with seconds ("2026-12-02T13:05:01Z").
std::string rfc3339Now();

}  // namespace tenantshift::controller
