#pragma once

// The report format lives in verify/; the engine and the CLI keep their spelling.
#include "verify/verify_report_format.h"

namespace tenantshift::engine {

using verify::formatReport;

}  // namespace tenantshift::engine
