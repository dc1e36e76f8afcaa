#include "verify/role_attributes.h"

#include <algorithm>

namespace tenantshift::verify {

std::string bypassReason(const RoleMap& roles, const std::string& role,
                         const RelationFacts& relation, const std::string& specSchema) {
  auto it = roles.find(role);
  if (it == roles.end()) {
    return "";
  }
  if (it->second.superuser) {
    return "a superuser";
  }
  if (it->second.bypassRls) {
    return "BYPASSRLS";
  }
  const std::string label = relation.label(specSchema);
  const auto& owned = it->second.ownerOf;
  if (!relation.forceRowSecurity && std::find(owned.begin(), owned.end(), label) != owned.end()) {
    return "the owner of " + label + ", which is not FORCE'd";
  }
  return "";
}

std::string bypassReasonAny(const RoleMap& roles, const std::string& role,
                            const std::vector<RelationFacts>& relations,
                            const std::string& specSchema) {
  for (const RelationFacts& relation : relations) {
    std::string reason = bypassReason(roles, role, relation, specSchema);
    if (!reason.empty()) {
      return reason;
    }
  }
  return "";
}

}  // namespace tenantshift::verify
