#include "controller/reconciler.h"

#include <cpprest/asyncrt_utils.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "api/spec_error.h"
#include "api/spec_parser.h"
#include "controller/phase_job.h"
#include "kube/finalizers.h"
#include "kube/kube_error.h"
#include "kube/resource.h"

namespace tenantshift::controller {

namespace {

namespace res = kube::resources;

const nlohmann::json& at(const nlohmann::json& object, std::initializer_list<const char*> path) {
  static const nlohmann::json kNull;
  const nlohmann::json* node = &object;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) {
      return kNull;
    }
    node = &(*node)[key];
  }
  return *node;
}

std::string text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : "";
}

kube::ResourceRef ref(const kube::ResourceType& type, const std::string& ns,
                      const std::string& name) {
  return kube::ResourceRef{type, ns, name, ""};
}

std::optional<TerminationSummary> summaryOf(const std::string& message) {
  if (message.empty()) {
    return std::nullopt;
  }
  TerminationSummary summary;
  try {
    const nlohmann::json j = nlohmann::json::parse(message);
    summary.outcome = j.value("outcome", "");
    summary.exitCode = j.value("exitCode", 0);
    summary.message = j.value("message", "");
  } catch (const nlohmann::json::exception&) {
    // FallbackToLogsOnError: the log's tail, not our summary.
    summary.message = message.substr(message.size() > 400 ? message.size() - 400 : 0);
  }
  return summary;
}

// The newest terminated container's message among the Job's pods.
std::string terminationMessage(kube::KubeClient& client, const std::string& ns,
                               const std::string& job) {
  kube::ListOptions options;
  options.labelSelector = "job-name=" + job;
  const nlohmann::json pods = client.list(ref(res::pods(), ns, ""), options, {});
  std::string newest;
  std::string message;
  for (const auto& pod : pods.value("items", nlohmann::json::array())) {
    for (const auto& container :
         at(pod, {"status"}).value("containerStatuses", nlohmann::json::array())) {
      const nlohmann::json& terminated = at(container, {"state", "terminated"});
      const std::string finished = text(at(terminated, {"finishedAt"}));
      if (!terminated.is_null() && finished >= newest) {
        newest = finished;
        message = text(at(terminated, {"message"}));
      }
    }
  }
  return message;
}

// Seconds from `earlier` to `later`, both RFC 3339 UTC ("2026-12-02T13:05:01Z"); 0 when
// either cannot be read.
std::int64_t secondsBetween(const std::string& earlier, const std::string& later) {
  auto epoch = [](const std::string& text) -> std::optional<std::time_t> {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr) {
      return std::nullopt;
    }
    return timegm(&tm);
  };
  const auto from = epoch(earlier);
  const auto to = epoch(later);
  return from && to && *to > *from ? static_cast<std::int64_t>(*to - *from) : 0;
}

ObservedJob observeJob(kube::KubeClient& client, const nlohmann::json& job,
                       const std::string& now) {
  ObservedJob out;
  out.name = text(at(job, {"metadata", "name"}));
  out.phase = plan::phaseFromString(text(at(job, {"metadata", "labels", kPhaseLabel})));
  try {
    out.generation = std::stoll(text(at(job, {"metadata", "labels", kGenerationLabel})));
  } catch (const std::exception&) {
    out.generation = 0;
  }
  out.deleting = !at(job, {"metadata", "deletionTimestamp"}).is_null();
  for (const auto& condition : at(job, {"status"}).value("conditions", nlohmann::json::array())) {
    if (text(at(condition, {"status"})) != "True") {
      continue;
    }
    const std::string type = text(at(condition, {"type"}));
    if (type == "Complete") {
      out.state = JobState::Succeeded;
    } else if (type == "Failed") {
      out.state = JobState::Failed;
      out.failure = text(at(condition, {"reason"})) + ": " + text(at(condition, {"message"}));
    } else {
      continue;
    }
    out.finishedSecondsAgo = secondsBetween(text(at(condition, {"lastTransitionTime"})), now);
  }
  if (out.state == JobState::Failed) {
    out.summary =
        summaryOf(terminationMessage(client, text(at(job, {"metadata", "namespace"})), out.name));
  }
  return out;
}

// The database URL from the opted-in Secret; a Problem when it cannot be had.
std::optional<Problem> secretUrl(kube::KubeClient& client, const std::string& ns,
                                 const OperatorSpec& spec, std::string& url) {
  if (!spec.urlSecretRef) {
    return Problem{"SecretRefMissing",
                   "spec.database.urlSecretRef: required by the operator: the Secret and key "
                   "holding the database URL",
                   false};
  }
  const SecretKeyRef& secretRef = *spec.urlSecretRef;
  nlohmann::json secret;
  try {
    secret = client.get(ref(res::secrets(), ns, secretRef.name));
  } catch (const kube::KubeError& error) {
    if (error.isNotFound()) {
      return Problem{"SecretNotFound",
                     "spec.database.urlSecretRef.name: Secret " + ns + "/" + secretRef.name +
                         " does not exist",
                     true};
    }
    throw;
  }
  if (text(at(secret, {"metadata", "labels", kSecretOptInLabel})) != "true") {
    return Problem{"SecretNotOptedIn",
                   "spec.database.urlSecretRef.name: Secret " + ns + "/" + secretRef.name +
                       " is not labelled " + kSecretOptInLabel +
                       "=\"true\"; its owner must opt it in before a TenantMigration may use it",
                   true};
  }
  const std::string encoded = text(at(secret, {"data", secretRef.key.c_str()}));
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

std::vector<Dependency> dependencies(kube::KubeClient& client, const std::string& ns,
                                     const OperatorSpec& spec) {
  std::vector<Dependency> out;
  for (const std::string& name : spec.dependsOn) {
    Dependency dependency{name, false, false};
    try {
      const nlohmann::json other = client.get(ref(res::tenantMigrations(), ns, name));
      dependency.found = true;
      const MigrationStatus status = statusFromJson(at(other, {"status"}));
      const Condition* ready = findCondition(status.conditions, "Ready");
      const auto generation = at(other, {"metadata", "generation"});
      dependency.ready =
          ready != nullptr && ready->status == "True" &&
          (!generation.is_number() || status.observedGeneration == generation.get<std::int64_t>());
    } catch (const kube::KubeError& error) {
      if (!error.isNotFound()) {
        throw;
      }
    }
    out.push_back(dependency);
  }
  return out;
}

nlohmann::json eventFor(const nlohmann::json& object, const RecordEvent& event,
                        const ReconcilerOptions& options) {
  const std::string now = options.now();
  const std::string ns = text(at(object, {"metadata", "namespace"}));
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata",
           {{"generateName", text(at(object, {"metadata", "name"})) + "."}, {"namespace", ns}}},
          {"involvedObject",
           {{"apiVersion", "tenantshift.dev/v1alpha1"},
            {"kind", "TenantMigration"},
            {"name", text(at(object, {"metadata", "name"}))},
            {"namespace", ns},
            {"uid", text(at(object, {"metadata", "uid"}))}}},
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

}  // namespace

std::string rfc3339Now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

Reconciler::Reconciler(kube::KubeClient& client, MigrationDatabase& database,
                       ReconcilerOptions options)
    : client_(client), database_(database), options_(std::move(options)) {
  if (!options_.now) {
    options_.now = rfc3339Now;
  }
}

Observation Reconciler::observe(const nlohmann::json& object, std::string& databaseUrl) {
  Observation observed;
  observed.name = text(at(object, {"metadata", "name"}));
  observed.ns = text(at(object, {"metadata", "namespace"}));
  observed.generation = at(object, {"metadata", "generation"}).is_number()
                            ? at(object, {"metadata", "generation"}).get<std::int64_t>()
                            : 0;
  observed.deleting = !at(object, {"metadata", "deletionTimestamp"}).is_null();
  observed.hasFinalizer = kube::hasFinalizer(object, kFinalizer);
  observed.status = statusFromJson(at(object, {"status"}));
  observed.now = options_.now();

  kube::ListOptions jobs;
  jobs.labelSelector = std::string(kMigrationLabel) + "=" + observed.name;
  for (const auto& job : client_.list(ref(res::jobs(), observed.ns, ""), jobs, {})
                             .value("items", nlohmann::json::array())) {
    observed.jobs.push_back(observeJob(client_, job, observed.now));
  }
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
  observed.dependencies = dependencies(client_, observed.ns, *observed.spec);
  if (auto problem = secretUrl(client_, observed.ns, *observed.spec, databaseUrl)) {
    observed.problem = std::move(problem);
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
  nlohmann::json object;
  try {
    object = client_.get(ref(res::tenantMigrations(), ns, name));
  } catch (const kube::KubeError& error) {
    if (error.isNotFound()) {
      spdlog::info("reconcile={} key={}/{} gone", id, ns, name);
      return {std::nullopt, true};
    }
    throw;
  }
  std::string databaseUrl;
  const Observation observed = observe(object, databaseUrl);
  const Decision decision = decide(observed);
  carryOut(object, observed, decision, id);
  return {decision.requeueAfter, false};
}

void Reconciler::carryOut(const nlohmann::json& object, const Observation& observed,
                          const Decision& decision, const std::string& id) {
  const auto self = ref(res::tenantMigrations(), observed.ns, observed.name);
  kube::PatchOptions patchOptions;
  patchOptions.fieldManager = options_.fieldManager;
  if (decision.addFinalizer) {
    if (auto patch = kube::addFinalizerPatch(object, kFinalizer)) {
      client_.patch(self, kube::PatchType::Json, patch->operations(), patchOptions);
    }
  }
  for (const DeleteJob& job : decision.deleteJobs) {
    kube::DeleteOptions options;
    options.propagationPolicy = kube::PropagationPolicy::Background;
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
    const Owner owner{observed.name, observed.ns, text(at(object, {"metadata", "uid"})),
                      observed.generation};
    kube::WriteOptions write;
    write.fieldManager = options_.fieldManager;
    const nlohmann::json configMap =
        manifestConfigMap(owner, object, observed.ledger ? observed.ledger->planHash : "");
    try {
      client_.create(ref(res::configMaps(), observed.ns, ""), configMap, write);
    } catch (const kube::KubeError& error) {
      if (!error.isAlreadyExists()) {
        throw;
      }
      client_.update(ref(res::configMaps(), observed.ns, manifestConfigMapName(observed.name)),
                     configMap, write);
    }
    PhaseJobRequest request{
        owner,          decision.createJob->phase,    decision.createJob->name,
        options_.image, *observed.spec->urlSecretRef, observed.spec->jobTemplate};
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
    client_.patchStatus(self, kube::PatchType::Merge, {{"status", toJson(*decision.status)}},
                        patchOptions);
    spdlog::info("reconcile={} key={}/{} status phase={} progress=\"{}\"", id, observed.ns,
                 observed.name, decision.status->phase, decision.status->progress);
  }
  for (const RecordEvent& event : decision.events) {
    try {
      client_.create(ref(res::events(), observed.ns, ""), eventFor(object, event, options_), {});
    } catch (const kube::KubeError& error) {
      // An Event is for people; losing one must not fail the reconcile.
      spdlog::warn("reconcile={} key={}/{} event not recorded reason={}: {}", id, observed.ns,
                   observed.name, event.reason, error.what());
    }
  }
  if (decision.removeFinalizer) {
    if (auto patch = kube::removeFinalizerPatch(object, kFinalizer)) {
      client_.patch(self, kube::PatchType::Json, patch->operations(), patchOptions);
      spdlog::info("reconcile={} key={}/{} finalizer removed: its Jobs have stopped", id,
                   observed.ns, observed.name);
    }
  }
}

}  // namespace tenantshift::controller
