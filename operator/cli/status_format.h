#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/engine.h"

namespace tenantshift::cli {

std::string formatStatus(const engine::MigrationStatus& status);
nlohmann::json statusToJson(const engine::MigrationStatus& status);

}  // namespace tenantshift::cli
