#pragma once

#include "api/migration_spec.h"
#include "plan/catalog.h"
#include "plan/plan.h"

namespace tenantshift::plan {

// The planner: spec + catalog snapshot -> ordered steps. Pure: no I/O. Throws api::SpecError
// naming the spec field when the spec does not fit the catalog (unknown table or column, a
// derivation cycle, a column whose type does not match the tenant id type, ...).
Plan buildPlan(const api::MigrationSpec& spec, const Catalog& catalog);

}  // namespace tenantshift::plan
