#include "verify/verify_report_format.h"

#include <array>
#include <sstream>

namespace tenantshift::verify {

namespace {

struct Group {
  CheckOutcome outcome;
  const char* title;
};

void printCheck(std::ostringstream& out, const CheckResult& check) {
  out << "  [" << check.check << "]";
  if (!check.table.empty()) {
    out << " " << check.table;
  }
  out << ": " << check.detail;
  if (check.outcome == CheckOutcome::Accepted && !check.acceptedBy.empty()) {
    out << " (accepted: " << check.acceptedBy << ")";
  } else if (check.exposure && check.outcome != CheckOutcome::Accepted) {
    out << " (unaccepted exposure)";
  }
  out << "\n";
}

}  // namespace

std::string formatReport(const VerifyReport& report) {
  std::ostringstream out;
  const std::size_t unaccepted = report.unacceptedExposures().size();
  out << "Verification " << (report.passed() ? "PASSED" : "FAILED") << ": "
      << report.count(CheckOutcome::Failed) << " failed, " << report.count(CheckOutcome::Warning)
      << " warning(s), " << report.count(CheckOutcome::Accepted) << " accepted exception(s), "
      << report.count(CheckOutcome::Passed) << " passed; " << unaccepted
      << " unaccepted exposure(s)\n";
  if (report.isolated()) {
    out << "Tenant isolation is proven"
        << (report.count(CheckOutcome::Accepted) > 0 ? ", with the accepted exceptions listed" : "")
        << ".\n";
  } else if (report.passed()) {
    out << "No check failed, but the exposures marked below are open: close them or accept "
           "them in the spec.\n";
  }
  const std::array<Group, 4> groups = {{
      {CheckOutcome::Failed, "FAILED"},
      {CheckOutcome::Warning, "WARNING"},
      {CheckOutcome::Accepted, "ACCEPTED EXCEPTIONS"},
      {CheckOutcome::Passed, "PASSED"},
  }};
  for (const Group& group : groups) {
    if (report.count(group.outcome) == 0) {
      continue;
    }
    out << "\n" << group.title << "\n";
    for (const CheckResult& check : report.checks) {
      if (check.outcome == group.outcome) {
        printCheck(out, check);
      }
    }
  }
  if (!report.fingerprint.empty()) {
    out << "\nSchema fingerprint: " << report.fingerprint << "\n";
  }
  return out.str();
}

}  // namespace tenantshift::verify
