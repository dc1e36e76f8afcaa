#pragma once

#include <string>
#include <vector>

#include "verify/grants.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// The schema of tenantshift's ledger.
inline constexpr const char* kLedgerSchema = "tenantshift";

// A privilege of the app role on the ledger schema or an object in it.
struct LedgerObject {
  std::string kind;    // SCHEMA, TABLE, SEQUENCE, FUNCTION
  std::string object;  // its SQL name
  std::vector<Grant> grants;
};

struct LedgerFacts {
  bool schemaExists = false;
  std::vector<LedgerObject> objects;  // only those the app role has a privilege on
};

// exposure.ledger: the app role has no privilege on the ledger schema or anything in it (the
// spec, the schema snapshot and every verify report are there). Failed with the REVOKEs.
CheckResult checkLedger(const std::string& appRole, const LedgerFacts& facts);

}  // namespace tenantshift::verify
