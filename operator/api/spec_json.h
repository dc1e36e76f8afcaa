#pragma once

#include <nlohmann/json.hpp>

#include "api/migration_spec.h"

namespace tenantshift::api {

// The spec in the same shape as the manifest's `spec:` (durations as "20ms"), with every
// default filled in: stored in the ledger, hashed by specHash, shown by `status`.
nlohmann::json toJson(const MigrationSpec& spec);

}  // namespace tenantshift::api
