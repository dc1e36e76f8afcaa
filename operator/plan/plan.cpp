#include "plan/plan.h"

#include <algorithm>

namespace tenantshift::plan {

std::vector<const Step*> Plan::stepsOf(Phase phase) const {
  std::vector<const Step*> out;
  for (const auto& step : steps) {
    if (step.phase == phase) {
      out.push_back(&step);
    }
  }
  return out;
}

const Step* Plan::findStep(const std::string& id) const {
  auto it = std::find_if(steps.begin(), steps.end(), [&](const Step& s) { return s.id == id; });
  return it == steps.end() ? nullptr : &*it;
}

const TableDecision* Plan::findDecision(const std::string& table) const {
  auto it = std::find_if(decisions.begin(), decisions.end(),
                         [&](const TableDecision& d) { return d.table == table; });
  return it == decisions.end() ? nullptr : &*it;
}

}  // namespace tenantshift::plan
