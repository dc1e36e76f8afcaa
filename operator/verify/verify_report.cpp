#include "verify/verify_report.h"

#include <algorithm>
#include <utility>

namespace tenantshift::verify {

namespace {

nlohmann::json checkJson(const CheckResult& check) {
  nlohmann::json out = {{"check", check.check},
                        {"table", check.table},
                        {"outcome", toString(check.outcome)},
                        {"exposure", check.exposure},
                        {"detail", check.detail}};
  if (!check.acceptedBy.empty()) {
    out["acceptedBy"] = check.acceptedBy;
  }
  return out;
}

}  // namespace

const char* toString(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::Passed:
      return "passed";
    case CheckOutcome::Failed:
      return "failed";
    case CheckOutcome::Warning:
      return "warning";
    case CheckOutcome::Accepted:
      return "accepted";
  }
  return "failed";
}

CheckResult result(std::string check, std::string table, CheckOutcome outcome, std::string detail) {
  CheckResult out;
  out.check = std::move(check);
  out.table = std::move(table);
  out.outcome = outcome;
  out.detail = std::move(detail);
  return out;
}

CheckResult exposureResult(std::string check, std::string table, CheckOutcome outcome,
                           std::string detail, std::string acceptedBy) {
  CheckResult out = result(std::move(check), std::move(table), outcome, std::move(detail));
  out.exposure = outcome != CheckOutcome::Passed;
  out.acceptedBy = std::move(acceptedBy);
  return out;
}

bool VerifyReport::passed() const {
  return count(CheckOutcome::Failed) == 0;
}

std::size_t VerifyReport::count(CheckOutcome outcome) const {
  return static_cast<std::size_t>(
      std::count_if(checks.begin(), checks.end(),
                    [outcome](const CheckResult& check) { return check.outcome == outcome; }));
}

std::vector<const CheckResult*> VerifyReport::unacceptedExposures() const {
  std::vector<const CheckResult*> out;
  for (const CheckResult& check : checks) {
    if (check.exposure &&
        (check.outcome == CheckOutcome::Failed || check.outcome == CheckOutcome::Warning)) {
      out.push_back(&check);
    }
  }
  return out;
}

std::vector<const CheckResult*> VerifyReport::accepted() const {
  std::vector<const CheckResult*> out;
  for (const CheckResult& check : checks) {
    if (check.outcome == CheckOutcome::Accepted) {
      out.push_back(&check);
    }
  }
  return out;
}

bool VerifyReport::isolated() const {
  return passed() && unacceptedExposures().empty();
}

nlohmann::json VerifyReport::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  nlohmann::json acceptedList = nlohmann::json::array();
  for (const CheckResult& check : checks) {
    (check.outcome == CheckOutcome::Accepted ? acceptedList : list).push_back(checkJson(check));
  }
  nlohmann::json unaccepted = nlohmann::json::array();
  for (const CheckResult* check : unacceptedExposures()) {
    unaccepted.push_back({{"check", check->check}, {"table", check->table}});
  }
  return {{"passed", passed()},
          {"isolated", isolated()},
          {"fingerprint", fingerprint},
          {"summary",
           {{"passed", count(CheckOutcome::Passed)},
            {"failed", count(CheckOutcome::Failed)},
            {"warning", count(CheckOutcome::Warning)},
            {"accepted", count(CheckOutcome::Accepted)},
            {"unacceptedExposures", unaccepted.size()}}},
          {"checks", std::move(list)},
          {"accepted", std::move(acceptedList)},
          {"unacceptedExposures", std::move(unaccepted)}};
}

}  // namespace tenantshift::verify
