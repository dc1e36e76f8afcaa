#pragma once

#include <string>

#include "engine/verify_report.h"

namespace tenantshift::engine {

// The report for people (the CLI's `verify` and a failed `run`): a summary line, then the checks
// grouped by outcome, failures first, then warnings, then passes.
std::string formatReport(const VerifyReport& report);

}  // namespace tenantshift::engine
