#pragma once

#include <string>
#include <vector>

#include "kube/kube_error.h"
#include "kube/resource.h"

namespace tenantshift::flag {

// The identity a refusal names: the user in the API server's message (`User "system:
// serviceaccount:shop:tenantshift" cannot patch ...`), else "" when it names none.
std::string identityInRefusal(const std::string& serverMessage);

// The message for a 403 the API server gave for `verb` on `object`: who was refused (the user
// the refusal names, else the identity of `credentialsSource`, e.g. "kubeconfig F, context C"),
// and the Role and RoleBinding that grant `verbsNeeded` on that one object, as kubectl commands.
std::string forbiddenMessage(const kube::KubeError& error, const std::string& verb,
                             const kube::ResourceRef& object,
                             const std::vector<std::string>& verbsNeeded,
                             const std::string& credentialsSource);

}  // namespace tenantshift::flag
