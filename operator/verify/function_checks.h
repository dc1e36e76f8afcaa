#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "verify/relation_facts.h"
#include "verify/role_attributes.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// A SECURITY DEFINER function in a schema the app role has USAGE on (pg_catalog,
// information_schema and the ledger schema excepted).
struct FunctionFacts {
  std::string schema;
  std::string name;
  std::string identityArguments;  // pg_get_function_identity_arguments(): "customer_id integer"
  std::string argumentTypes;      // oidvectortypes(proargtypes): "integer"
  std::string owner;
  bool appCanExecute = false;
  bool returnsTrigger = false;  // cannot be called directly

  // name(argument types), as spec.accept.functions may list it.
  std::string signature() const;
};

// Whether `entry` of spec.accept.functions names `function`: name, schema.name, name(types) or
// name(identity arguments), spaces ignored.
bool functionMatches(const std::string& entry, const FunctionFacts& function,
                     const std::string& specSchema);

// exposure.function: each function the app role can execute whose owner bypasses row-level
// security (superuser, BYPASSRLS, owner of a tenant table that is not FORCE'd): Failed unless
// it is spec.tenant.lookupFunction (Accepted by design) or listed in spec.accept.functions
// (Accepted). One Passed result when there is none.
std::vector<CheckResult> checkFunctions(const api::MigrationSpec& spec,
                                        const std::vector<FunctionFacts>& functions,
                                        const RoleMap& roles,
                                        const std::vector<RelationFacts>& relations);

}  // namespace tenantshift::verify
