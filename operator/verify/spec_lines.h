#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"

namespace tenantshift::verify {

// How a message tells the user to accept something in the manifest: the exact line to add.

// A name as a YAML flow scalar: plain when that is safe, else double-quoted.
std::string yamlName(const std::string& name);

// The path of a per-table field: "spec.tables[3].crossTenantRefs" when the table is listed in
// spec.tables, "spec.tables[].crossTenantRefs" when it is not.
std::string tableFieldPath(const api::MigrationSpec& spec, const std::string& table,
                           const std::string& field);

// "add crossTenantRefs: [rentals_customer_id_fkey] to spec.tables[3] (rentals)" when the table
// is listed; "add {name: rentals, crossTenantRefs: [rentals_customer_id_fkey]} to spec.tables"
// when spec.tables lists others; "add spec.tables: [{name: rentals, crossTenantRefs: [...]}]"
// when there is no spec.tables.
std::string tableFieldLine(const api::MigrationSpec& spec, const std::string& table,
                           const std::string& field, const std::string& item);

// "add v_users to spec.accept.views (accept: {views: [v_users]})".
std::string acceptLine(const std::string& field, const std::string& item);

// The per-table list of `field` for `table` (empty when the table is not listed).
const std::vector<std::string>& tableList(const api::MigrationSpec& spec, const std::string& table,
                                          std::vector<std::string> api::TableSpec::*field);

bool contains(const std::vector<std::string>& items, const std::string& item);

}  // namespace tenantshift::verify
