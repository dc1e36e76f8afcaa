#pragma once

#include "plan/planning_context.h"

namespace tenantshift::plan {

// Checks the spec against the catalog (application role, tenants table, spec.tables and
// spec.exclude) and chooses the tables to convert: fills ctx.tenants and ctx.tables (in name
// order, sources not yet resolved) and adds notes about what is left alone. Throws
// api::SpecError naming the field.
void selectTables(PlanContext& ctx);

}  // namespace tenantshift::plan
