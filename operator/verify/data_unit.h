#pragma once

#include <pqxx/pqxx>
#include <string>

#include "api/migration_spec.h"
#include "verify/data_checks.h"
#include "verify/relation_facts.h"
#include "verify/setting_checks.h"
#include "verify/verify_inputs.h"

namespace tenantshift::verify {

// The runner's count and the app role's count with the tenant setting as this session has it
// (never set, when nothing has set it yet), in one REPEATABLE READ transaction of its own.
VisibilityObservation observeUnset(pqxx::connection& connection, const VerifyOptions& options,
                                   const api::MigrationSpec& spec, const RelationFacts& relation);

// What one relation's data unit reads in one REPEATABLE READ transaction of its own: the
// runner's counts (rows, NULL tenants, tenants missing from the tenants table, rows per tenant),
// the app role's count with the setting '' and, for the largest tenants, with each set.
// Partitions get the counts the setting check needs only. `appUsable`: the app role can be
// assumed.
struct DataUnitResult {
  DataObservation data;
  VisibilityObservation empty;  // setting ''
};
DataUnitResult observeData(pqxx::connection& connection, const VerifyOptions& options,
                           const api::MigrationSpec& spec, const RelationFacts& relation,
                           const RelationFacts* tenants, bool appUsable);

}  // namespace tenantshift::verify
