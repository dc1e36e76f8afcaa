#pragma once

#include <pqxx/pqxx>

#include "verify/verify_inputs.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// Proves tenant isolation as the application's role (spec.database.appRole), changing nothing:
// every unit of work runs in a short transaction of its own that is rolled back, under
// spec.ddl.lockTimeout, retried with backoff when it cannot get its locks. The report's
// fingerprint is the schema fingerprint the verdict was reached on (taken before the checks; a
// change while they ran is a Failed check). A lost connection is rethrown
// (pqxx::broken_connection): the caller reconnects and verifies again.
VerifyReport verifyMigration(pqxx::connection& connection, const VerifyInputs& inputs,
                             const VerifyOptions& options);

}  // namespace tenantshift::verify
