// The phase Job and the manifest ConfigMap the operator creates for a migration.
#include "controller/phase_job.h"

#include <gtest/gtest.h>

namespace tenantshift::controller {
namespace {

PhaseJobRequest request() {
  PhaseJobRequest r;
  r.owner = Owner{"shop", "apps", "uid-1", 3};
  r.phase = plan::Phase::Backfill;
  r.jobName = "shop-backfill-g3";
  r.image = "registry.example/tenantshift:0.1.0";
  r.databaseUrl = SecretKeyRef{"shop-db", "url"};
  r.jobTemplate.serviceAccountName = "migrator";
  r.jobTemplate.labels = {{"team", "payments"}};
  r.jobTemplate.annotations = {{"sidecar.istio.io/inject", "false"}};
  r.jobTemplate.nodeSelector = {{"pool", "ops"}};
  r.jobTemplate.backoffLimit = 2;
  r.jobTemplate.activeDeadlineSeconds = 900;
  return r;
}

TEST(PhaseJob, RunsOnePhaseOfTheMountedManifestWithTheUrlFromTheSecret) {
  const nlohmann::json job = phaseJob(request());
  EXPECT_EQ(job["metadata"]["name"], "shop-backfill-g3");
  EXPECT_EQ(job["metadata"]["namespace"], "apps");
  const nlohmann::json& labels = job["metadata"]["labels"];
  EXPECT_EQ(labels[kMigrationLabel], "shop");
  EXPECT_EQ(labels[kPhaseLabel], "backfill");
  EXPECT_EQ(labels[kGenerationLabel], "3");
  EXPECT_EQ(labels[kManagedByLabel], kManagedBy);
  const nlohmann::json& owner = job["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "TenantMigration");
  EXPECT_EQ(owner["uid"], "uid-1");
  EXPECT_EQ(owner["controller"], true);

  const nlohmann::json& pod = job["spec"]["template"]["spec"];
  const nlohmann::json& container = pod["containers"][0];
  EXPECT_EQ(container["image"], "registry.example/tenantshift:0.1.0");
  EXPECT_EQ(container["args"],
            nlohmann::json({"phase", "backfill", "-f", "/etc/tenantshift/migration.json",
                            "--termination-message-path", "/dev/termination-log"}));
  const nlohmann::json& env = container["env"][0];
  EXPECT_EQ(env["name"], "TENANTSHIFT_DATABASE_URL");
  EXPECT_EQ(env["valueFrom"]["secretKeyRef"]["name"], "shop-db");
  EXPECT_EQ(env["valueFrom"]["secretKeyRef"]["key"], "url");
  EXPECT_FALSE(env.contains("value")) << "the URL itself never goes into the Job";
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"], "shop-manifest");
  EXPECT_EQ(pod["restartPolicy"], "Never");
}

TEST(PhaseJob, RunsOnlyTheApprovedPlanWhenApprovalIsRequired) {
  PhaseJobRequest approved = request();
  approved.expectPlanHash = "0123456789abcdef";
  const nlohmann::json args =
      phaseJob(approved)["spec"]["template"]["spec"]["containers"][0]["args"];
  ASSERT_GE(args.size(), 2U);
  EXPECT_EQ(args[args.size() - 2], "--expect-plan-hash");
  EXPECT_EQ(args[args.size() - 1], "0123456789abcdef");
}

TEST(PhaseJob, MeetsTheRestrictedPodSecurityStandard) {
  const nlohmann::json pod = phaseJob(request())["spec"]["template"]["spec"];
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  const nlohmann::json& security = pod["containers"][0]["securityContext"];
  EXPECT_EQ(security["allowPrivilegeEscalation"], false);
  EXPECT_EQ(security["capabilities"]["drop"], nlohmann::json({"ALL"}));
  EXPECT_EQ(security["runAsNonRoot"], true);
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
}

TEST(PhaseJob, CarriesTheJobTemplate) {
  const nlohmann::json job = phaseJob(request());
  EXPECT_EQ(job["spec"]["backoffLimit"], 2);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 900);
  const nlohmann::json& pod = job["spec"]["template"];
  EXPECT_EQ(pod["metadata"]["labels"]["team"], "payments");
  EXPECT_EQ(pod["metadata"]["labels"][kMigrationLabel], "shop");
  EXPECT_EQ(pod["metadata"]["annotations"]["sidecar.istio.io/inject"], "false");
  EXPECT_EQ(pod["spec"]["serviceAccountName"], "migrator");
  EXPECT_EQ(pod["spec"]["nodeSelector"]["pool"], "ops");
}

TEST(PhaseJob, FailsAtOnceOnOutcomesAnotherPodWouldOnlyRepeat) {
  const nlohmann::json rules = phaseJob(request())["spec"]["podFailurePolicy"]["rules"];
  ASSERT_EQ(rules.size(), 2U);
  EXPECT_EQ(rules[0]["action"], "FailJob");
  EXPECT_EQ(rules[0]["onExitCodes"]["values"], nlohmann::json({2, 4, 5, 6, 7, 8}));
  EXPECT_EQ(rules[1]["action"], "Ignore");
  EXPECT_EQ(rules[1]["onPodConditions"][0]["type"], "DisruptionTarget");
}

TEST(ManifestConfigMap, HoldsTheSpecAsJsonWithoutStatusOrServerFields) {
  const nlohmann::json object = {
      {"apiVersion", "tenantshift.dev/v1alpha1"},
      {"kind", "TenantMigration"},
      {"metadata",
       {{"name", "shop"}, {"namespace", "apps"}, {"uid", "uid-1"}, {"managedFields", {}}}},
      {"spec", {{"tenant", {{"idType", "uuid"}}}}},
      {"status", {{"phase", "Backfill"}}}};
  const nlohmann::json configMap =
      manifestConfigMap(Owner{"shop", "apps", "uid-1", 3}, object, "0123456789abcdef");
  EXPECT_EQ(configMap["metadata"]["name"], "shop-manifest");
  EXPECT_EQ(configMap["metadata"]["annotations"]["tenantshift.dev/plan-hash"], "0123456789abcdef");
  const nlohmann::json manifest =
      nlohmann::json::parse(configMap["data"][kManifestKey].get<std::string>());
  EXPECT_EQ(manifest["spec"], object["spec"]);
  EXPECT_FALSE(manifest.contains("status"));
  EXPECT_EQ(manifest["metadata"], nlohmann::json({{"name", "shop"}, {"namespace", "apps"}}));
}

}  // namespace
}  // namespace tenantshift::controller
