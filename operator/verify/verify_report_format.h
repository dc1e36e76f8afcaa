#pragma once

#include <string>

#include "verify/verify_report.h"

namespace tenantshift::verify {

// The report for people (the CLI's `verify` and a failed `run`): a summary line and the
// verdict, then the checks grouped: failures, warnings, accepted exceptions (each with the spec
// field that accepts it), passes.
std::string formatReport(const VerifyReport& report);

}  // namespace tenantshift::verify
