#include "engine/verify_report_format.h"

#include <array>
#include <sstream>
#include <utility>

namespace tenantshift::engine {

std::string formatReport(const VerifyReport& report) {
  std::ostringstream out;
  out << "Verification " << (report.passed() ? "PASSED" : "FAILED") << ": "
      << report.count(CheckOutcome::Failed) << " failed, " << report.count(CheckOutcome::Warning)
      << " warning(s), " << report.count(CheckOutcome::Passed) << " passed\n";
  const std::array<std::pair<CheckOutcome, const char*>, 3> groups = {{
      {CheckOutcome::Failed, "FAILED"},
      {CheckOutcome::Warning, "WARNING"},
      {CheckOutcome::Passed, "PASSED"},
  }};
  for (const auto& [outcome, title] : groups) {
    if (report.count(outcome) == 0) {
      continue;
    }
    out << "\n" << title << "\n";
    for (const auto& check : report.checks) {
      if (check.outcome != outcome) {
        continue;
      }
      out << "  [" << check.check << "]";
      if (!check.table.empty()) {
        out << " " << check.table;
      }
      out << ": " << check.detail << "\n";
    }
  }
  return out.str();
}

}  // namespace tenantshift::engine
