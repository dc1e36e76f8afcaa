#pragma once

#include <string>

#include "api/migration_spec.h"

namespace tenantshift::plan {

// The type name without modifiers: "character varying(255)" -> "character varying".
std::string baseTypeName(const std::string& formattedType);

// Whether a column of `formattedType` (format_type() output) can hold tenant ids of `idType`
// and be compared with them without loss: uuid <-> uuid; bigint <-> bigint, integer, smallint;
// text <-> text, character varying, character.
bool compatibleWithIdType(const std::string& formattedType, api::TenantIdType idType);

}  // namespace tenantshift::plan
