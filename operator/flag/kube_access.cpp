#include "flag/kube_access.h"

#include <regex>

namespace tenantshift::flag {

namespace {

constexpr const char* kServiceAccountPrefix = "system:serviceaccount:";

std::string joined(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& word : words) {
    out += (out.empty() ? "" : separator) + word;
  }
  return out;
}

// The RoleBinding's subject: --serviceaccount=NS:NAME for a service account, else --user=NAME.
std::string subjectFlag(const std::string& identity) {
  if (identity.rfind(kServiceAccountPrefix, 0) == 0) {
    return "--serviceaccount=" + identity.substr(std::string(kServiceAccountPrefix).size());
  }
  return "--user=" + identity;
}

}  // namespace

std::string identityInRefusal(const std::string& serverMessage) {
  static const std::regex user("User \"([^\"]+)\"");
  std::smatch match;
  if (std::regex_search(serverMessage, match, user)) {
    return match[1].str();
  }
  return "";
}

std::string forbiddenMessage(const kube::KubeError& error, const std::string& verb,
                             const kube::ResourceRef& object,
                             const std::vector<std::string>& verbsNeeded,
                             const std::string& credentialsSource) {
  const std::string identity = identityInRefusal(error.serverMessage());
  const std::string who = identity.empty() ? "the identity of " + credentialsSource : identity;
  const std::string subject = identity.empty() ? "--user=<that user>" : subjectFlag(identity);
  const std::string resource = object.type.displayName();  // "deployments.apps"
  const std::string role = "tenantshift-feature-flag";
  std::string message =
      "the Kubernetes API server refused to let " + who + " " + verb + " " + resource + " \"" +
      object.name + "\" in namespace " + object.ns + " (403 Forbidden). The feature flag needs " +
      joined(verbsNeeded, " and ") + " on it: grant them in a Role of namespace " + object.ns +
      " bound to " + who + ", e.g. `kubectl create role " + role + " -n " + object.ns +
      " --verb=" + joined(verbsNeeded, ",") + " --resource=" + resource +
      " --resource-name=" + object.name + "` and `kubectl create rolebinding " + role + " -n " +
      object.ns + " --role=" + role + " " + subject + "` (README: Feature flags in Kubernetes)";
  if (!error.serverMessage().empty()) {
    message += "; the API server said: " + error.serverMessage();
  }
  return message;
}

}  // namespace tenantshift::flag
