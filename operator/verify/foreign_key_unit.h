#pragma once

#include <pqxx/pqxx>

#include "api/migration_spec.h"
#include "plan/plan.h"
#include "verify/foreign_key_checks.h"
#include "verify/relation_facts.h"
#include "verify/verify_inputs.h"

namespace tenantshift::verify {

// Counts the rows of `child` that reference, through `fk`, a row of `parent` in another tenant
// (and samples a few), in a read-only transaction of its own. Not counted when the database
// enforces tenant consistency and the key is not accepted as cross-tenant.
ForeignKeyObservation observeForeignKey(pqxx::connection& connection, const VerifyOptions& options,
                                        const api::MigrationSpec& spec, const plan::Plan& plan,
                                        const RelationFacts& child, const ForeignKeyFacts& fk,
                                        const RelationFacts& parent);

}  // namespace tenantshift::verify
