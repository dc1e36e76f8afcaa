#pragma once

#include <pqxx/pqxx>
#include <string>

#include "verify/empty_table_checks.h"
#include "verify/verify_inputs.h"

namespace tenantshift::verify {

// The condition the plan gives tenantshift's policies (plan::strictCondition when strict, else
// plan::permissiveCondition), as pg_get_expr prints it for a tenant column of `columnType`:
// a policy with it is created on a temporary table in a transaction that is rolled back.
ExpectedCondition observeExpectedCondition(pqxx::connection& connection,
                                           const VerifyOptions& options,
                                           const VerifyInputs& inputs,
                                           const std::string& columnType);

}  // namespace tenantshift::verify
