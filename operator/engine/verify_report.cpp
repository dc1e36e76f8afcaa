#include "engine/verify_report.h"

#include <algorithm>

namespace tenantshift::engine {

namespace {

const char* outcomeName(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::Passed:
      return "passed";
    case CheckOutcome::Failed:
      return "failed";
    case CheckOutcome::Warning:
      return "warning";
  }
  return "failed";
}

}  // namespace

bool VerifyReport::passed() const {
  return count(CheckOutcome::Failed) == 0;
}

std::size_t VerifyReport::count(CheckOutcome outcome) const {
  return static_cast<std::size_t>(
      std::count_if(checks.begin(), checks.end(),
                    [outcome](const CheckResult& check) { return check.outcome == outcome; }));
}

nlohmann::json VerifyReport::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& check : checks) {
    list.push_back({{"check", check.check},
                    {"table", check.table},
                    {"outcome", outcomeName(check.outcome)},
                    {"detail", check.detail}});
  }
  return {{"passed", passed()},
          {"summary",
           {{"passed", count(CheckOutcome::Passed)},
            {"failed", count(CheckOutcome::Failed)},
            {"warning", count(CheckOutcome::Warning)}}},
          {"checks", std::move(list)}};
}

}  // namespace tenantshift::engine
