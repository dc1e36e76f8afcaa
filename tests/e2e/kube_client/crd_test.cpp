// The project's TenantMigration CRD through the client: applied from crds/, objects created
// from the example manifest, status written only through the status subresource.
#include <gtest/gtest.h>

#include "kube/kube_error.h"
#include "kube/update_with_retry.h"
#include "kube_e2e.h"

namespace tenantshift::kube::e2e {
namespace {

class TenantMigrations : public KubeE2E {
 protected:
  void SetUp() override {
    KubeE2E::SetUp();
    // Server-side apply of the CRD file as it is in the repository.
    const nlohmann::json crd = yamlToJson(readFile(std::filesystem::path(TENANTSHIFT_SOURCE_DIR) /
                                                   "crds/tenantshift.dev_tenantmigrations.yaml"));
    admin_->patch(
        {resources::customResourceDefinitions(), "", "tenantmigrations.tenantshift.dev", ""},
        PatchType::Apply, crd, {"tenantshift-e2e", true, false});
    awaitEstablished(*admin_, "tenantmigrations.tenantshift.dev");
  }
  ResourceRef migration(const std::string& name) const {
    return {resources::tenantMigrations(), ns_, name, ""};
  }
  nlohmann::json example() const {
    nlohmann::json object = yamlToJson(readFile(std::filesystem::path(TENANTSHIFT_SOURCE_DIR) /
                                                "examples/alphapulse/migration.yaml"));
    object["metadata"]["namespace"] = ns_;
    return object;
  }
};

TEST_F(TenantMigrations, StatusIsWrittenThroughTheStatusSubresourceOnly) {
  const nlohmann::json created =
      admin_->create({resources::tenantMigrations(), ns_, "", ""}, example(), {});
  EXPECT_EQ(created["spec"]["database"]["appRole"], "alphapulse_app");
  EXPECT_EQ(created["metadata"]["generation"], 1);
  const ResourceRef ref = migration("alphapulse");

  // The main resource ignores status: only the CRD's default is there (observedGeneration 0,
  // below every generation, so that kstatus reads it as InProgress until the operator writes).
  const nlohmann::json defaulted = {{"observedGeneration", 0}};
  EXPECT_EQ(created["status"], defaulted) << created.dump();
  nlohmann::json withStatus = created;
  withStatus["status"] = {{"phase", "Schema"}};
  const nlohmann::json ignored = admin_->update(ref, withStatus, {});
  EXPECT_EQ(ignored["status"], defaulted) << ignored.dump();

  // PUT on /status stores it, and does not touch the spec or the generation.
  nlohmann::json current = admin_->get(ref);
  current["status"] = {{"phase", "Schema"},
                       {"observedGeneration", 1},
                       {"conditions",
                        {{{"type", "Ready"},
                          {"status", "False"},
                          {"reason", "Reconciling"},
                          {"message", "schema phase running"},
                          {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}};
  current["spec"]["backfill"]["batchSize"] = 1;  // ignored on /status
  const nlohmann::json stored = admin_->updateStatus(ref, current, {});
  EXPECT_EQ(stored["status"]["phase"], "Schema");
  EXPECT_EQ(stored["metadata"]["generation"], 1);
  EXPECT_NE(stored["spec"]["backfill"]["batchSize"], 1);

  // Merge patch of the status; getStatus reads it back.
  admin_->patchStatus(ref, PatchType::Merge, {{"status", {{"phase", "Backfill"}}}}, {});
  const nlohmann::json status = admin_->getStatus(ref);
  EXPECT_EQ(status["status"]["phase"], "Backfill");
  EXPECT_EQ(status["status"]["conditions"][0]["reason"], "Reconciling");

  // Server-side apply of a condition through /status by the operator's field manager.
  admin_->patchStatus(ref, PatchType::Apply,
                      {{"apiVersion", "tenantshift.dev/v1alpha1"},
                       {"kind", "TenantMigration"},
                       {"metadata", {{"name", "alphapulse"}, {"namespace", ns_}}},
                       {"status",
                        {{"conditions",
                          {{{"type", "Stalled"},
                            {"status", "False"},
                            {"reason", "Progressing"},
                            {"message", "ok"},
                            {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}}}},
                      {"tenantshift-operator", true, false});
  EXPECT_EQ(admin_->getStatus(ref)["status"]["conditions"].size(), 2U);

  // A spec change bumps the generation; the retry helper works on /status too.
  admin_->patch(ref, PatchType::Merge, {{"spec", {{"backfill", {{"batchSize", 100}}}}}}, {});
  const nlohmann::json observed = updateWithRetry(*admin_, ref.status(), [](nlohmann::json& tm) {
    tm["status"]["observedGeneration"] = tm["metadata"]["generation"];
  });
  EXPECT_EQ(observed["metadata"]["generation"], 2);
  EXPECT_EQ(observed["status"]["observedGeneration"], 2);
}

TEST_F(TenantMigrations, InvalidSpecIsRefusedWith422NamingTheField) {
  nlohmann::json bad = example();
  bad["metadata"]["name"] = "bad";
  bad["spec"]["tenant"]["idType"] = "float";
  try {
    admin_->create({resources::tenantMigrations(), ns_, "", ""}, bad, {});
    FAIL() << "accepted";
  } catch (const KubeError& error) {
    EXPECT_TRUE(error.isInvalid());
    EXPECT_NE(error.serverMessage().find("spec.tenant.idType"), std::string::npos) << error.what();
    EXPECT_EQ(error.status()["details"]["kind"], "TenantMigration");
  }
}

}  // namespace
}  // namespace tenantshift::kube::e2e
