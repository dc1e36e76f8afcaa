#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/operator_spec.h"
#include "plan/step.h"

namespace tenantshift::controller {

// Labels on everything the operator creates for a migration; the informers select on them.
inline constexpr const char* kMigrationLabel = "tenantshift.dev/migration";
inline constexpr const char* kPhaseLabel = "tenantshift.dev/phase";
inline constexpr const char* kGenerationLabel = "tenantshift.dev/generation";
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedBy = "tenantshift-operator";
// The label a Secret's owner sets to let TenantMigrations use it.
inline constexpr const char* kSecretOptInLabel = "tenantshift.dev/database";

// Where the Job's pod finds the engine's manifest (the owned ConfigMap, mounted).
inline constexpr const char* kManifestDir = "/etc/tenantshift";
inline constexpr const char* kManifestKey = "migration.json";

// The TenantMigration a Job or ConfigMap belongs to.
struct Owner {
  std::string name;
  std::string ns;
  std::string uid;
  std::int64_t generation = 0;
};

struct PhaseJobRequest {
  Owner owner;
  plan::Phase phase = plan::Phase::Schema;
  std::string jobName;
  std::string image;
  SecretKeyRef databaseUrl;
  JobTemplate jobTemplate;
  // The approved plan's hash (spec.approvedPlan): the Job runs only that plan
  // (`--expect-plan-hash`), and refuses with plan-drift when the plan it makes differs. Empty:
  // no approval is required.
  std::string expectPlanHash;
  // The spec's feature flag is in a ConfigMap or a Deployment (OperatorSpec): the flag phase's
  // pod gets its service account's token; every other pod runs without one.
  bool kubernetesFeatureFlag = false;
};

// The owned ConfigMap holding the manifest the phase Jobs run: the TenantMigration's spec,
// unchanged, as JSON (the engine reads JSON or YAML), and the plan's hash for people to check.
std::string manifestConfigMapName(const std::string& migration);
nlohmann::json manifestConfigMap(const Owner& owner, const nlohmann::json& migrationObject,
                                 const std::string& planHash);

// The batch/v1 Job running `tenantshift phase PHASE` for the migration: owned by it, the database
// URL from the Secret by secretKeyRef (never in the Job), the restricted Pod Security Standard,
// no retries inside the pod (restartPolicy Never; the Job's backoffLimit retries the pod), the
// engine's JSON summary as the termination message. No service account token is mounted, but in
// the flag phase's pod of a flag in a ConfigMap or a Deployment (it patches that object).
nlohmann::json phaseJob(const PhaseJobRequest& request);

}  // namespace tenantshift::controller
