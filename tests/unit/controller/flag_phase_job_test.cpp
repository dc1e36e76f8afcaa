// A feature flag in a ConfigMap or a Deployment: the flag phase's pod, and that pod only, gets
// its service account's token to patch it.
#include <gtest/gtest.h>

#include "controller/operator_spec.h"
#include "controller/phase_job.h"

namespace tenantshift::controller {
namespace {

PhaseJobRequest requestFor(plan::Phase phase, bool kubernetesFlag) {
  PhaseJobRequest r;
  r.owner = Owner{"shop", "apps", "uid-1", 1};
  r.phase = phase;
  r.jobName = "shop-phase-g1";
  r.image = "registry.example/tenantshift:0.1.0";
  r.databaseUrl = SecretKeyRef{"shop-db", "url"};
  r.jobTemplate.serviceAccountName = "migrator";
  r.kubernetesFeatureFlag = kubernetesFlag;
  return r;
}

bool mountsToken(const PhaseJobRequest& request) {
  return phaseJob(request)["spec"]["template"]["spec"]["automountServiceAccountToken"];
}

TEST(FlagPhaseJob, OnlyTheFlagPhaseOfAKubernetesFlagMountsTheToken) {
  EXPECT_TRUE(mountsToken(requestFor(plan::Phase::Flag, true)));
  EXPECT_FALSE(mountsToken(requestFor(plan::Phase::Flag, false)));
  for (plan::Phase phase : plan::kPhases) {
    if (phase != plan::Phase::Flag) {
      EXPECT_FALSE(mountsToken(requestFor(phase, true))) << plan::toString(phase);
    }
  }
  const nlohmann::json pod =
      phaseJob(requestFor(plan::Phase::Flag, true))["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"], "migrator");
  // Still nothing secret on the command line.
  EXPECT_EQ(pod["containers"][0]["args"],
            nlohmann::json({"phase", "flag", "-f", "/etc/tenantshift/migration.json",
                            "--termination-message-path", "/dev/termination-log"}));
}

TEST(FlagPhaseJob, TheOperatorSpecSaysWhetherTheFlagIsInKubernetes) {
  auto specWith = [](nlohmann::json flag) {
    return parseOperatorSpec(
        {{"metadata", {{"name", "shop"}}}, {"spec", {{"featureFlag", std::move(flag)}}}});
  };
  EXPECT_TRUE(specWith({{"configMap", {{"name", "c"}}}}).kubernetesFeatureFlag);
  EXPECT_TRUE(specWith({{"deployment", {{"name", "d"}}}}).kubernetesFeatureFlag);
  EXPECT_FALSE(specWith({{"sql", {{"on", "x"}, {"off", "y"}}}}).kubernetesFeatureFlag);
  EXPECT_FALSE(parseOperatorSpec({{"spec", nlohmann::json::object()}}).kubernetesFeatureFlag);
}

}  // namespace
}  // namespace tenantshift::controller
