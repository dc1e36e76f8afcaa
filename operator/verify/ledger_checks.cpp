#include "verify/ledger_checks.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::verify {

using api::joined;

CheckResult checkLedger(const std::string& appRole, const LedgerFacts& facts) {
  if (!facts.schemaExists) {
    return result("exposure.ledger", kLedgerSchema, CheckOutcome::Passed,
                  "there is no ledger schema yet");
  }
  if (facts.objects.empty()) {
    return result("exposure.ledger", kLedgerSchema, CheckOutcome::Passed,
                  "the app role has no privilege on the ledger schema or anything in it");
  }
  std::vector<std::string> found;
  std::vector<std::string> fixes;
  for (const LedgerObject& object : facts.objects) {
    found.push_back(object.kind + " " + object.object + ": " + describeGrants(object.grants));
    for (std::string& fix : revokeStatements(object.kind, object.object, object.grants)) {
      fixes.push_back(std::move(fix));
    }
  }
  return exposureResult("exposure.ledger", kLedgerSchema, CheckOutcome::Failed,
                        "the app role " + plan::quoteIdent(appRole) +
                            " has privileges on tenantshift's ledger, which holds the spec, the "
                            "schema snapshot and the verify reports (" +
                            joined(found, "; ") + "): " + joined(fixes, "; "));
}

}  // namespace tenantshift::verify
