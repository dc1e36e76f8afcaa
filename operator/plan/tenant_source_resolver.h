#pragma once

#include "plan/planning_context.h"

namespace tenantshift::plan {

// Decides where each planned table's tenant comes from and sorts ctx.tables in dependency order
// (parents first, then by name).
//
// An explicit `from` in spec.tables wins (validated: the parent is converted, the via columns
// exist and form a foreign key to it or match its primary key, a source column can hold the
// tenant id type; cycles among explicit parents are errors). Other tables derive their tenant
// from the foreign-key graph, breadth first from the tables whose tenant is known: a foreign key
// whose columns are all NOT NULL, to a converted table whose tenant is known, wins; among
// several, a parent with an explicit source first, then the shortest path, then the foreign
// key's name. A derived choice only ever points at an already-resolved table, so it cannot form
// a cycle; tables whose candidates only lead back to themselves get the default tenant.
void resolveTenantSources(PlanContext& ctx);

// Tables whose tenant comes from their parent, listed with it: "parent users via (user_id)".
std::string describeSource(const PlannedTable& table);

}  // namespace tenantshift::plan
