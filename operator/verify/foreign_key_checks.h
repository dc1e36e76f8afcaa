#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "plan/plan.h"
#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// One row whose tenant differs from the tenant of the row it references.
struct CrossTenantSample {
  std::string child;   // "(id)=(5), tenant 2"
  std::string parent;  // "(id)=(7), tenant 3"
};

// What the data unit found for one foreign key between tenant tables.
struct ForeignKeyObservation {
  std::string table;     // the planned table the foreign key's relation belongs to (spec.tables)
  std::string relation;  // the relation it is declared on, for people
  std::string parent;    // the referenced relation, for people
  ForeignKeyFacts fk;
  bool enforced = false;  // the database keeps child and parent in one tenant
  bool ran = false;       // counted (not needed when enforced)
  std::string error;      // the count could not run
  std::int64_t crossTenant = 0;
  std::vector<CrossTenantSample> samples;  // up to kForeignKeySamples
};

inline constexpr int kForeignKeySamples = 5;

// The database enforces tenant consistency when the foreign key pairs the child's tenant column
// with the parent's and is validated.
bool enforcedByDatabase(const ForeignKeyFacts& fk, const std::string& childTenantColumn,
                        const std::string& parentTenantColumn);

// Whether `fk` of `table` is accepted as a cross-tenant reference (spec.tables[].crossTenantRefs,
// or the plan's decision for the table).
bool crossTenantAccepted(const api::MigrationSpec& spec, const plan::Plan& plan,
                         const std::string& table, const std::string& fk);

// data.foreign-key: Passed (enforced, or no row crosses tenants), Accepted (crossTenantRefs,
// with the counts), Failed (rows cross tenants: the count, samples, and the spec line that
// would accept it), Failed when the count could not run.
CheckResult checkForeignKey(const api::MigrationSpec& spec, const plan::Plan& plan,
                            const ForeignKeyObservation& seen);

}  // namespace tenantshift::verify
