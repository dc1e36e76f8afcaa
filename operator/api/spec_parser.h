#pragma once

#include <string>

#include "api/migration_spec.h"

namespace tenantshift::api {

// Parses and validates a TenantMigration manifest (YAML or JSON). Checks everything that can be
// checked without a database: required fields, unknown fields, types, enums, durations, that
// the default tenant id is valid for idType, that the setting name is a valid custom GUC name.
// Throws SpecError naming the field.
TenantMigration parseTenantMigration(const std::string& yamlText);
TenantMigration loadTenantMigration(const std::string& path);

// A stable hash of the spec (hex), recorded in the ledger.
std::string specHash(const MigrationSpec& spec);

// Checks that `value` is a valid tenant id for `type`; returns an explanation when it is not.
std::optional<std::string> tenantIdProblem(TenantIdType type, const std::string& value);

}  // namespace tenantshift::api
