#pragma once

#include <pqxx/pqxx>
#include <string>

#include "api/migration_spec.h"
#include "verify/probe_checks.h"
#include "verify/relation_facts.h"
#include "verify/verify_inputs.h"

namespace tenantshift::verify {

// A tenant id no tenant has, of the tenant column's type, different from `avoid`: the session
// tenant when the relation and the tenants table hold no other tenant. No row is ever created
// for it: the session setting is all a probe needs.
std::string absentTenant(const std::string& type, const std::string& avoid);

// Probes one relation as the app role in a REPEATABLE READ transaction of its own, always rolled
// back: picks a row R of tenant X that no other session has locked (and keeps it locked, FOR NO
// KEY UPDATE, until the transaction ends: milliseconds), then, each probe in a savepoint, as the
// app role with another tenant Y set: SELECT (R not visible, not even by ctid), UPDATE and DELETE
// of R (no row), INSERT of a copy of R (refused), INSERT ... ON CONFLICT on R's key (R
// unchanged); with X set: moving R to Y (refused). Nothing is written outside the rolled-back
// transaction: no row is moved and no tenant is created.
ProbeObservation observeIsolation(pqxx::connection& connection, const VerifyOptions& options,
                                  const api::MigrationSpec& spec, const RelationFacts& relation,
                                  const RelationFacts* tenants);

}  // namespace tenantshift::verify
