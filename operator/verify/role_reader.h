#pragma once

#include <pqxx/pqxx>
#include <string>

#include "verify/role_checks.h"

namespace tenantshift::verify {

// The runner and the app role; whether the runner can SET ROLE to it is tried (in a savepoint
// that is rolled back). `appOid` gets the app role's oid, "0" when it does not exist.
RoleFacts readRoleFacts(pqxx::transaction_base& tx, const std::string& appRole,
                        std::string& appOid);

}  // namespace tenantshift::verify
