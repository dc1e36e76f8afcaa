#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// Phase `backfill`, tables in dependency order: for column-sourced tables the missing tenants
// rows first, then the batched fill of NULL tenant ids (keyset by primary key; see BackfillTask).
// A row whose tenant comes from its parent gets the parent's current tenant: every batch holds
// the parent's tenant-move lock (tenant_move_guard.h), so that a parent moving to another tenant
// in a transaction still open is waited for and its new tenant read. The batches run with
// session_replication_role = replica where they may: no foreign-key check or ON UPDATE CASCADE
// would catch the old tenant otherwise.
void addBackfillSteps(const PlanContext& ctx, std::vector<Step>& steps);

}  // namespace tenantshift::plan
