#include "controller/reconciler.h"

#include <cpprest/asyncrt_utils.h>
#include <spdlog/spdlog.h>

#include "api/spec_error.h"
#include "api/spec_parser.h"
#include "controller/json_fields.h"
#include "controller/owned_objects.h"
#include "controller/phase_job.h"
#include "kube/finalizers.h"
#include "kube/kube_error.h"
#include "kube/resource.h"

namespace tenantshift::controller {

namespace {

namespace res = kube::resources;

kube::ResourceRef ref(const kube::ResourceType& type, const std::string& ns,
                      const std::string& name) {
  return kube::ResourceRef{type, ns, name, ""};
}

// The database URL from the opted-in Secret (`secret`: as read, null when it does not exist); a
// Problem when it cannot be had.
std::optional<Problem> databaseUrlFrom(const nlohmann::json& secret, const std::string& ns,
                                       const SecretKeyRef& secretRef, std::string& url) {
  if (secret.is_null()) {
    return Problem{
        "SecretNotFound",
        "spec.database.urlSecretRef.name: Secret " + ns + "/" + secretRef.name + " does not exist",
        true};
  }
  if (jsonText(jsonAt(secret, {"metadata", "labels", kSecretOptInLabel})) != "true") {
    return Problem{"SecretNotOptedIn",
                   "spec.database.urlSecretRef.name: Secret " + ns + "/" + secretRef.name +
                       " is not labelled " + kSecretOptInLabel +
                       "=\"true\"; its owner must opt it in before a TenantMigration may use it",
                   true};
  }
  const std::string encoded = jsonText(jsonAt(secret, {"data", secretRef.key.c_str()}));
  if (encoded.empty()) {
    return Problem{"SecretKeyMissing",
                   "spec.database.urlSecretRef.key: Secret " + ns + "/" + secretRef.name +
                       " has no key " + secretRef.key,
                   true};
  }
  const std::vector<unsigned char> bytes = utility::conversions::from_base64(encoded);
  url.assign(bytes.begin(), bytes.end());
  return std::nullopt;
}

// Each dependency as the TenantMigrations cache has it: Ready for the generation it is at.
std::vector<Dependency> dependencies(const kube::ObjectCache& migrations, const std::string& ns,
                                     const OperatorSpec& spec) {
  std::vector<Dependency> out;
  for (const std::string& name : spec.dependsOn) {
    Dependency dependency{name, false, false};
    if (const kube::ObjectPtr other = migrations.get(ns, name)) {
      dependency.found = true;
      const MigrationStatus status = statusFromJson(jsonAt(*other, {"status"}));
      const Condition* ready = findCondition(status.conditions, "Ready");
      const nlohmann::json& generation = jsonAt(*other, {"metadata", "generation"});
      dependency.ready =
          ready != nullptr && ready->status == "True" &&
          (!generation.is_number() || status.observedGeneration == generation.get<std::int64_t>());
    }
    out.push_back(dependency);
  }
  return out;
}

nlohmann::json eventFor(const nlohmann::json& object, const RecordEvent& event,
                        const std::string& now, const ReconcilerOptions& options) {
  const std::string ns = jsonText(jsonAt(object, {"metadata", "namespace"}));
  const std::string name = jsonText(jsonAt(object, {"metadata", "name"}));
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"generateName", name + "."}, {"namespace", ns}}},
          {"involvedObject",
           {{"apiVersion", "tenantshift.dev/v1alpha1"},
            {"kind", "TenantMigration"},
            {"name", name},
            {"namespace", ns},
            {"uid", jsonText(jsonAt(object, {"metadata", "uid"}))}}},
          {"type", event.type},
          {"reason", event.reason},
          {"message", event.message.substr(0, 1024)},
          {"source", {{"component", "tenantshift-operator"}}},
          {"reportingComponent", "tenantshift.dev/operator"},
          {"reportingInstance", options.instance},
          {"firstTimestamp", now},
          {"lastTimestamp", now},
          {"count", 1}};
}

Owner ownerOf(const nlohmann::json& object, const Observation& observed) {
  return Owner{observed.name, observed.ns, jsonText(jsonAt(object, {"metadata", "uid"})),
               observed.generation};
}

}  // namespace

Reconciler::Reconciler(kube::KubeClient& client, ReconcilerCaches caches,
                       MigrationDatabase& database, const WallClock& clock,
                       ReconcilerOptions options)
    : client_(client),
      caches_(caches),
      database_(database),
      clock_(clock),
      options_(std::move(options)) {}

// The manifest ConfigMap's name may be taken by one this migration does not own: a Problem
// naming it, so that nothing of someone else's is overwritten. The cache holds only the labelled
// ones; when it has none, the API is asked.
std::optional<Problem> Reconciler::manifestConflict(const nlohmann::json& object) const {
  const std::string ns = jsonText(jsonAt(object, {"metadata", "namespace"}));
  const std::string name = manifestConfigMapName(jsonText(jsonAt(object, {"metadata", "name"})));
  nlohmann::json existing;
  if (const kube::ObjectPtr cached = caches_.configMaps.get(ns, name)) {
    existing = *cached;
  } else {
    try {
      existing = client_.get(ref(res::configMaps(), ns, name));
    } catch (const kube::KubeError& error) {
      if (!error.isNotFound()) {
        throw;
      }
      return std::nullopt;
    }
  }
  if (ownedByUid(existing, jsonText(jsonAt(object, {"metadata", "uid"})))) {
    return std::nullopt;
  }
  return Problem{"ManifestConfigMapConflict",
                 "ConfigMap " + ns + "/" + name +
                     " exists and is not owned by this TenantMigration: the operator keeps the "
                     "migration's manifest there and will not overwrite someone else's; rename or "
                     "delete it",
                 true};
}

Observation Reconciler::observe(const nlohmann::json& object, std::string& databaseUrl) const {
  Observation observed;
  observed.name = jsonText(jsonAt(object, {"metadata", "name"}));
  observed.ns = jsonText(jsonAt(object, {"metadata", "namespace"}));
  const nlohmann::json& generation = jsonAt(object, {"metadata", "generation"});
  observed.generation = generation.is_number() ? generation.get<std::int64_t>() : 0;
  observed.deleting = !jsonAt(object, {"metadata", "deletionTimestamp"}).is_null();
  observed.hasFinalizer = kube::hasFinalizer(object, kFinalizer);
  observed.status = statusFromJson(jsonAt(object, {"status"}));
  const WallClock::TimePoint now = clock_.now();
  observed.now = rfc3339(now);

  const auto pods = ownedBy(caches_.pods.list(observed.ns), observed.name);
  for (const kube::ObjectPtr& job : ownedBy(caches_.jobs.list(observed.ns), observed.name)) {
    observed.jobs.push_back(observeJob(*job, pods, now));
  }
  observed.livePods = livePods(pods);
  if (observed.deleting) {
    return observed;
  }
  try {
    observed.spec = parseOperatorSpec(object);
  } catch (const OperatorSpecError& error) {
    observed.specError = error.what();
    return observed;
  }
  api::TenantMigration migration;
  try {
    nlohmann::json manifest = object;
    manifest.erase("status");
    migration = api::parseTenantMigration(manifest.dump());
  } catch (const api::SpecError& error) {
    observed.spec.reset();
    observed.specError = error.what();
    return observed;
  }
  observed.dependencies = dependencies(caches_.migrations, observed.ns, *observed.spec);
  if (!observed.spec->urlSecretRef) {
    observed.problem = Problem{"SecretRefMissing",
                               "spec.database.urlSecretRef: required by the operator: the Secret "
                               "and key holding the database URL",
                               false};
    return observed;
  }
  nlohmann::json secret;
  try {
    secret = client_.get(ref(res::secrets(), observed.ns, observed.spec->urlSecretRef->name));
  } catch (const kube::KubeError& error) {
    if (!error.isNotFound()) {
      throw;
    }
  }
  if (auto problem =
          databaseUrlFrom(secret, observed.ns, *observed.spec->urlSecretRef, databaseUrl)) {
    observed.problem = std::move(problem);
    return observed;
  }
  if (auto conflict = manifestConflict(object)) {
    observed.problem = std::move(conflict);
    return observed;
  }
  try {
    observed.ledger = database_.read(databaseUrl, migration);
  } catch (const DatabaseUnreachable& error) {
    observed.problem = Problem{"DatabaseUnreachable", error.what(), true};
  } catch (const PlanRefused& error) {
    observed.problem = Problem{"PlanRefused", error.what(), true};
  }
  return observed;
}

ReconcileResult Reconciler::reconcile(const std::string& ns, const std::string& name,
                                      const std::string& id) {
  const std::string key = kube::objectKey(ns, name);
  const kube::ObjectPtr object = caches_.migrations.get(key);
  if (!object) {
    spdlog::info("reconcile={} key={} gone", id, key);
    std::lock_guard lock(writesMutex_);
    staleVersions_.erase(key);
    return {std::nullopt, true};
  }
  if (cacheBehindOwnWrite(key, kube::resourceVersionOf(*object))) {
    // The watch brings the write (and queues the key again); a second look in a moment in case
    // it does not.
    return {std::chrono::seconds{1}, false};
  }
  std::string databaseUrl;
  const Observation observed = observe(*object, databaseUrl);
  const Decision decision = decide(observed);
  if (std::set<std::string> stale = carryOut(*object, observed, decision, id); !stale.empty()) {
    std::lock_guard lock(writesMutex_);
    staleVersions_[key] = std::move(stale);
  }
  return {decision.requeueAfter, false};
}

bool Reconciler::cacheBehindOwnWrite(const std::string& key, const std::string& resourceVersion) {
  std::lock_guard lock(writesMutex_);
  const auto written = staleVersions_.find(key);
  if (written == staleVersions_.end()) {
    return false;
  }
  if (written->second.contains(resourceVersion)) {
    return true;
  }
  staleVersions_.erase(written);
  return false;
}

// The manifest ConfigMap the Job mounts: created, or brought up to date when the spec changed
// (a PUT naming the resourceVersion read, so that a concurrent change is not overwritten).
void Reconciler::writeManifest(const nlohmann::json& object, const Observation& observed) const {
  nlohmann::json configMap = manifestConfigMap(ownerOf(object, observed), object,
                                               observed.ledger ? observed.ledger->planHash : "");
  kube::WriteOptions write;
  write.fieldManager = options_.fieldManager;
  const std::string name = manifestConfigMapName(observed.name);
  const kube::ObjectPtr cached = caches_.configMaps.get(observed.ns, name);
  if (!cached) {
    try {
      client_.create(ref(res::configMaps(), observed.ns, ""), configMap, write);
      return;
    } catch (const kube::KubeError& error) {
      if (!error.isAlreadyExists()) {
        throw;
      }
    }
  }
  // Ours (manifestConflict checked the owner), created before the cache saw it, or changed.
  const nlohmann::json current =
      cached ? *cached : client_.get(ref(res::configMaps(), observed.ns, name));
  if (!ownedByUid(current, jsonText(jsonAt(object, {"metadata", "uid"})))) {
    throw std::runtime_error("ConfigMap " + observed.ns + "/" + name +
                             " is not owned by this TenantMigration; not overwritten");
  }
  if (jsonAt(current, {"data"}) == configMap["data"] &&
      jsonAt(current, {"metadata", "annotations"}) == configMap["metadata"]["annotations"]) {
    return;
  }
  configMap["metadata"]["resourceVersion"] = kube::resourceVersionOf(current);
  client_.update(ref(res::configMaps(), observed.ns, name), configMap, write);
}

std::set<std::string> Reconciler::carryOut(const nlohmann::json& object,
                                           const Observation& observed, const Decision& decision,
                                           const std::string& id) const {
  const auto self = ref(res::tenantMigrations(), observed.ns, observed.name);
  kube::PatchOptions patchOptions;
  patchOptions.fieldManager = options_.fieldManager;
  std::string latest = kube::resourceVersionOf(object);
  std::set<std::string> stale;
  auto written = [&](const nlohmann::json& answer) {
    if (const std::string version = kube::resourceVersionOf(answer); version != latest) {
      stale.insert(latest);
      latest = version;
    }
  };
  if (decision.addFinalizer) {
    if (auto patch = kube::addFinalizerPatch(object, kFinalizer)) {
      written(client_.patch(self, kube::PatchType::Json, patch->operations(), patchOptions));
    }
  }
  for (const DeleteJob& job : decision.deleteJobs) {
    // Foreground: the Job stays (being deleted) until its pods are gone, so that neither a new
    // Job nor the finalizer's removal comes before the old pod has stopped.
    kube::DeleteOptions options;
    options.propagationPolicy = kube::PropagationPolicy::Foreground;
    try {
      client_.remove(ref(res::jobs(), observed.ns, job.name), options);
      spdlog::info("reconcile={} key={}/{} job deleted name={}", id, observed.ns, observed.name,
                   job.name);
    } catch (const kube::KubeError& error) {
      if (!error.isNotFound()) {
        throw;
      }
    }
  }
  if (decision.createJob) {
    writeManifest(object, observed);
    PhaseJobRequest request{ownerOf(object, observed),
                            decision.createJob->phase,
                            decision.createJob->name,
                            options_.image,
                            *observed.spec->urlSecretRef,
                            observed.spec->jobTemplate,
                            observed.spec->requireApproval ? observed.spec->approvedPlan : ""};
    request.kubernetesFeatureFlag = observed.spec->kubernetesFeatureFlag;
    kube::WriteOptions write;
    write.fieldManager = options_.fieldManager;
    try {
      client_.create(ref(res::jobs(), observed.ns, ""), phaseJob(request), write);
      spdlog::info("reconcile={} key={}/{} job created name={} phase={}", id, observed.ns,
                   observed.name, decision.createJob->name,
                   plan::toString(decision.createJob->phase));
    } catch (const kube::KubeError& error) {
      if (!error.isAlreadyExists()) {
        throw;
      }
    }
  }
  if (decision.status) {
    written(client_.patchStatus(self, kube::PatchType::Merge,
                                {{"status", toJson(*decision.status)}}, patchOptions));
    spdlog::info("reconcile={} key={}/{} status phase={} progress=\"{}\"", id, observed.ns,
                 observed.name, decision.status->phase, decision.status->progress);
  }
  for (const RecordEvent& event : decision.events) {
    try {
      client_.create(ref(res::events(), observed.ns, ""),
                     eventFor(object, event, observed.now, options_), {});
    } catch (const kube::KubeError& error) {
      // An Event is for people; losing one must not fail the reconcile.
      spdlog::warn("reconcile={} key={}/{} event not recorded reason={}: {}", id, observed.ns,
                   observed.name, event.reason, error.what());
    }
  }
  if (decision.removeFinalizer) {
    if (auto patch = kube::removeFinalizerPatch(object, kFinalizer)) {
      written(client_.patch(self, kube::PatchType::Json, patch->operations(), patchOptions));
      spdlog::info("reconcile={} key={}/{} finalizer removed: its Jobs and their pods have stopped",
                   id, observed.ns, observed.name);
    }
  }
  return stale;
}

}  // namespace tenantshift::controller
