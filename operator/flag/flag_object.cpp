#include "flag/flag_object.h"

#include "flag/flag_switch_error.h"
#include "flag/kube_access.h"

namespace tenantshift::flag {

namespace {

constexpr const char* kFieldManager = "tenantshift";

}  // namespace

FlagObject::FlagObject(kube::KubeClient& client, kube::ResourceRef ref, std::string kind,
                       std::string specField, std::vector<std::string> verbsNeeded,
                       std::string credentialsSource)
    : client_(client),
      ref_(std::move(ref)),
      kind_(std::move(kind)),
      specField_(std::move(specField)),
      verbsNeeded_(std::move(verbsNeeded)),
      credentialsSource_(std::move(credentialsSource)) {}

std::string FlagObject::describe() const {
  return kind_ + " " + ref_.ns + "/" + ref_.name;
}

template <typename Call>
nlohmann::json FlagObject::calling(const std::string& verb, Call&& call) {
  try {
    return call();
  } catch (const kube::KubeError& error) {
    if (error.isForbidden()) {
      throw FlagSwitchError(forbiddenMessage(error, verb, ref_, verbsNeeded_, credentialsSource_));
    }
    if (error.isNotFound()) {
      throw FlagSwitchError(describe() + " does not exist: create it, or correct " + specField_ +
                            ".name (and .namespace; without it the migration's namespace, else "
                            "the Kubernetes context's)");
    }
    const std::string message =
        "could not " + verb + " " + describe() + " (" + specField_ + "): " + error.what();
    if (error.isInvalid()) {
      throw PatchRefusedError(message);
    }
    throw FlagSwitchError(message);
  } catch (const kube::KubeConnectionError& error) {
    throw FlagSwitchError("could not " + verb + " " + describe() + " (" + specField_ +
                          "): " + error.what());
  }
}

nlohmann::json FlagObject::get() {
  return calling("get", [&] { return client_.get(ref_); });
}

nlohmann::json FlagObject::patch(kube::PatchType type, const nlohmann::json& body) {
  kube::PatchOptions options;
  options.fieldManager = kFieldManager;
  return calling("patch", [&] { return client_.patch(ref_, type, body, options); });
}

}  // namespace tenantshift::flag
