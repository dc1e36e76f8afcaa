#pragma once

// The verify report is made by verify/ (the verifier); the engine keeps its spelling.
#include "verify/verify_report.h"

namespace tenantshift::engine {

using verify::CheckOutcome;
using verify::CheckResult;
using verify::VerifyReport;

}  // namespace tenantshift::engine
