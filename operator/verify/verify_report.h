#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tenantshift::verify {

enum class CheckOutcome {
  Passed,
  Failed,
  // Informational: does not change the isolation verdict (row counts changed because the
  // application kept writing; the runner is not BYPASSRLS; an exposure the user may want to
  // close, such as a writable global table).
  Warning,
  // An exposure the spec accepts by name (acceptedBy says which field), or one that exists by
  // design (a global primary key).
  Accepted,
};

// "passed", "failed", "warning", "accepted": the spelling in the JSON report and the ledger.
const char* toString(CheckOutcome outcome);

struct CheckResult {
  std::string check;  // e.g. "isolation.select", "role.not-superuser", "keys.unique"
  std::string table;  // the table or object the result is about; empty when about none
  CheckOutcome outcome = CheckOutcome::Passed;
  std::string detail;  // what was seen and, when something is wrong, what to do
  // A path around the policies (a view run as its owner, a cross-tenant foreign key, a global
  // unique key, ...), accepted or not. A Passed result is never an exposure.
  bool exposure = false;
  // For Accepted: the spec field that accepts it ("spec.tables[3].crossTenantRefs",
  // "spec.accept.views") or "by design".
  std::string acceptedBy;
};

// A result that is not an exposure.
CheckResult result(std::string check, std::string table, CheckOutcome outcome, std::string detail);
// An exposure: Failed or Warning when not accepted, Accepted (with the accepting field), or
// Passed when it turned out closed.
CheckResult exposureResult(std::string check, std::string table, CheckOutcome outcome,
                           std::string detail, std::string acceptedBy = "");

struct VerifyReport {
  std::vector<CheckResult> checks;
  // The schema fingerprint the verdict was reached on (verify::schemaFingerprint): when it
  // changes, the verdict no longer holds and verify must run again.
  std::string fingerprint;

  bool passed() const;  // no check Failed
  std::size_t count(CheckOutcome outcome) const;
  // Exposures that are not accepted (Failed or Warning): the run may say "verified and
  // enforced" only when there is no Failed check and none of these.
  std::vector<const CheckResult*> unacceptedExposures() const;
  std::vector<const CheckResult*> accepted() const;
  // passed() and no unaccepted exposure.
  bool isolated() const;
  nlohmann::json toJson() const;
};

}  // namespace tenantshift::verify
