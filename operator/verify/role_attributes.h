#pragma once

#include <map>
#include <string>
#include <vector>

#include "verify/relation_facts.h"

namespace tenantshift::verify {

// A role that owns a view or a SECURITY DEFINER function: what lets it read past row-level
// security.
struct RoleAttributes {
  std::string name;
  bool superuser = false;
  bool bypassRls = false;
  // Relations in scope (by label) whose owner it is or is a member of: an owner bypasses
  // row-level security on a table that is not FORCE'd.
  std::vector<std::string> ownerOf;
};

using RoleMap = std::map<std::string, RoleAttributes>;

// Why `role` reads `relation` unfiltered ("superuser", "BYPASSRLS", "owner of orders, which is
// not FORCE'd"), or "" when row-level security filters it.
std::string bypassReason(const RoleMap& roles, const std::string& role,
                         const RelationFacts& relation, const std::string& specSchema);

// Why `role` bypasses row-level security on at least one relation in scope, or "".
std::string bypassReasonAny(const RoleMap& roles, const std::string& role,
                            const std::vector<RelationFacts>& relations,
                            const std::string& specSchema);

}  // namespace tenantshift::verify
