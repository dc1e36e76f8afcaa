#pragma once

#include <pqxx/pqxx>
#include <string>

#include "verify/expected_condition.h"
#include "verify/verify_inputs.h"

namespace tenantshift::verify {

// The conditions the plan gives tenantshift's policies, for a tenant column `column` of
// `columnType`, as pg_get_expr prints them: policies with them are created on a temporary table
// in a transaction that is rolled back.
ExpectedCondition observeExpectedCondition(pqxx::connection& connection,
                                           const VerifyOptions& options, const VerifyInputs& inputs,
                                           const std::string& column,
                                           const std::string& columnType);

}  // namespace tenantshift::verify
