#include "controller/phase_job.h"

namespace tenantshift::controller {

namespace {

nlohmann::json ownerReference(const Owner& owner) {
  return nlohmann::json::array({{{"apiVersion", "tenantshift.dev/v1alpha1"},
                                 {"kind", "TenantMigration"},
                                 {"name", owner.name},
                                 {"uid", owner.uid},
                                 {"controller", true},
                                 {"blockOwnerDeletion", true}}});
}

nlohmann::json ownedLabels(const Owner& owner) {
  return {{kMigrationLabel, owner.name},
          {kManagedByLabel, kManagedBy},
          {"app.kubernetes.io/name", "tenantshift"}};
}

nlohmann::json phaseArgs(const PhaseJobRequest& request) {
  nlohmann::json args = {"phase",
                         std::string(plan::toString(request.phase)),
                         "-f",
                         std::string(kManifestDir) + "/" + kManifestKey,
                         "--termination-message-path",
                         "/dev/termination-log"};
  if (!request.expectPlanHash.empty()) {
    args.push_back("--expect-plan-hash");
    args.push_back(request.expectPlanHash);
  }
  return args;
}

nlohmann::json podSpec(const PhaseJobRequest& request) {
  nlohmann::json container = {
      {"name", "tenantshift"},
      {"image", request.image},
      {"command", {"tenantshift"}},
      {"args", phaseArgs(request)},
      {"env",
       {{{"name", "TENANTSHIFT_DATABASE_URL"},
         {"valueFrom",
          {{"secretKeyRef",
            {{"name", request.databaseUrl.name}, {"key", request.databaseUrl.key}}}}}}}},
      {"volumeMounts", {{{"name", "manifest"}, {"mountPath", kManifestDir}, {"readOnly", true}}}},
      {"terminationMessagePath", "/dev/termination-log"},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"runAsNonRoot", true},
        {"capabilities", {{"drop", {"ALL"}}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}}};
  const JobTemplate& t = request.jobTemplate;
  if (!t.resources.is_null()) {
    container["resources"] = t.resources;
  }
  nlohmann::json spec = {
      {"restartPolicy", "Never"},
      {"automountServiceAccountToken",
       request.phase == plan::Phase::Flag && request.kubernetesFeatureFlag},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", 65532},
        {"runAsGroup", 65532},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"containers", {container}},
      {"volumes",
       {{{"name", "manifest"},
         {"configMap", {{"name", manifestConfigMapName(request.owner.name)}}}}}}};
  if (!t.serviceAccountName.empty()) {
    spec["serviceAccountName"] = t.serviceAccountName;
  }
  if (!t.tolerations.is_null()) {
    spec["tolerations"] = t.tolerations;
  }
  if (!t.nodeSelector.is_null()) {
    spec["nodeSelector"] = t.nodeSelector;
  }
  return spec;
}

// Which pod failures the Job's backoffLimit retries. An outcome that another pod would only
// repeat (bad input, prerequisites missing, plan drift, verify failed, data loss refused, the
// lock held by another runner) fails the Job at once: the operator decides what comes next.
// A pod stopped by a disruption (eviction, preemption, node drain) does not count.
nlohmann::json podFailurePolicy() {
  return {
      {"rules",
       {{{"action", "FailJob"},
         {"onExitCodes",
          {{"containerName", "tenantshift"}, {"operator", "In"}, {"values", {2, 4, 5, 6, 7, 8}}}}},
        {{"action", "Ignore"},
         {"onPodConditions", {{{"type", "DisruptionTarget"}, {"status", "True"}}}}}}}};
}

}  // namespace

std::string manifestConfigMapName(const std::string& migration) {
  return migration + "-manifest";
}

nlohmann::json manifestConfigMap(const Owner& owner, const nlohmann::json& migrationObject,
                                 const std::string& planHash) {
  nlohmann::json manifest = {
      {"apiVersion", migrationObject.value("apiVersion", "tenantshift.dev/v1alpha1")},
      {"kind", "TenantMigration"},
      {"metadata", {{"name", owner.name}, {"namespace", owner.ns}}},
      {"spec", migrationObject.value("spec", nlohmann::json::object())}};
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", manifestConfigMapName(owner.name)},
            {"namespace", owner.ns},
            {"labels", ownedLabels(owner)},
            {"annotations",
             {{"tenantshift.dev/plan-hash", planHash},
              {"tenantshift.dev/generation", std::to_string(owner.generation)}}},
            {"ownerReferences", ownerReference(owner)}}},
          {"data", {{kManifestKey, manifest.dump(2)}}}};
}

nlohmann::json phaseJob(const PhaseJobRequest& request) {
  const Owner& owner = request.owner;
  nlohmann::json labels = ownedLabels(owner);
  labels[kPhaseLabel] = std::string(plan::toString(request.phase));
  labels[kGenerationLabel] = std::to_string(owner.generation);
  nlohmann::json podLabels = labels;
  for (const auto& [key, value] : request.jobTemplate.labels) {
    podLabels[key] = value;
  }
  nlohmann::json podMetadata = {{"labels", podLabels}};
  if (!request.jobTemplate.annotations.empty()) {
    podMetadata["annotations"] = request.jobTemplate.annotations;
  }
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", request.jobName},
            {"namespace", owner.ns},
            {"labels", labels},
            {"ownerReferences", ownerReference(owner)}}},
          {"spec",
           {{"backoffLimit", request.jobTemplate.backoffLimit},
            {"podFailurePolicy", podFailurePolicy()},
            {"activeDeadlineSeconds", request.jobTemplate.activeDeadlineSeconds},
            {"template", {{"metadata", podMetadata}, {"spec", podSpec(request)}}}}}};
}

}  // namespace tenantshift::controller
