#include "plan/plan_hash.h"

#include <nlohmann/json.hpp>

#include "api/content_hash.h"

namespace tenantshift::plan {

namespace {

nlohmann::json statements(const std::vector<Statement>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const Statement& statement : list) {
    out.push_back({statement.sql, statement.params});
  }
  return out;
}

}  // namespace

std::string planHash(const Plan& plan) {
  nlohmann::json steps = nlohmann::json::array();
  for (const Step& step : plan.steps) {
    steps.push_back({step.id, toString(step.phase), statements(step.up), statements(step.down)});
  }
  return api::contentHash(steps.dump());
}

}  // namespace tenantshift::plan
