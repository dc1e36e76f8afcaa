#include "verify/large_object_checks.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::verify {

using api::joined;

CheckResult checkLargeObjects(const std::string& appRole, const LargeObjectFacts& facts) {
  if (facts.creating.empty() && facts.readable == 0) {
    return result("exposure.large-objects", "", CheckOutcome::Passed,
                  "the app role can neither create nor read large objects");
  }
  std::vector<std::string> can;
  if (!facts.creating.empty()) {
    can.push_back("create large objects (" + joined(facts.creating) + ")");
  }
  if (facts.readable > 0) {
    can.push_back("read " + std::to_string(facts.readable) + " of the " +
                  std::to_string(facts.objects) + " existing large objects");
  }
  std::string detail =
      "the app role " + plan::quoteIdent(appRole) + " can " + joined(can, " and ") +
      ": large objects are outside row-level security, so tenant data stored in them is shared "
      "by every tenant's sessions of the role";
  if (!facts.creating.empty()) {
    detail += "; if the application does not use them: REVOKE EXECUTE ON FUNCTION " +
              joined(facts.creating) +
              " FROM PUBLIC (as a superuser; PostgreSQL grants them to PUBLIC by default)";
  }
  return exposureResult("exposure.large-objects", "", CheckOutcome::Warning, detail);
}

}  // namespace tenantshift::verify
