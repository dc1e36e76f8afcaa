#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/migration_spec.h"
#include "plan/plan.h"

namespace tenantshift::cli {

// The plan for people: tenant sources with reasons, then each phase's steps with SQL, lock
// level and data-loss risks, then the notes.
std::string formatPlan(const plan::Plan& plan, const api::TenantMigration& migration);
nlohmann::json planToJson(const plan::Plan& plan);

}  // namespace tenantshift::cli
