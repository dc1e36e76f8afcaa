#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"
#include "plan/tenant_fk_steps.h"

namespace tenantshift::plan {

// Phase `constraints`, per table in dependency order: validate the tenant foreign key (per leaf,
// then attached by the partitioned table's); NOT NULL through a validated CHECK (so SET NOT NULL
// needs no scan under an exclusive lock); an index leading with the tenant column built
// CONCURRENTLY. Then the tenant-consistent foreign keys validated and swapped in
// (tenant_fk_steps.h), and the unique keys and indexes rebuilt to lead with the tenant column
// (index_rewrite_steps.h; the originals are replaced after the flag, listed in `replacements`).
void addConstraintSteps(PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                        std::vector<Step>& steps, std::vector<IndexReplacement>& replacements);

}  // namespace tenantshift::plan
