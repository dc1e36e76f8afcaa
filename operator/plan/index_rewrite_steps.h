#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"
#include "plan/tenant_fk_steps.h"

namespace tenantshift::plan {

// Unique keys and indexes rebuilt to lead with the tenant column.
//
// Unique keys (spec.rewriteUniques) become unique per tenant; indexes (spec.rewriteIndexes)
// lead with the tenant column so that the planner never removes other tenants' rows with a
// filter (EXPLAIN ANALYZE would count them: "Rows Removed by Filter"). Each new index keeps the
// original's key definitions (collation, operator class, ordering, expressions), INCLUDE, NULLS
// NOT DISTINCT, predicate and, for a constraint, DEFERRABLE.
//
// The constraints phase builds the new index CONCURRENTLY next to the original; the original
// stays until the feature flag is on, because the unchanged application's queries (without a
// tenant) and its ON CONFLICT (columns) targets need it. The flag phase's finalize steps, after
// enforcement, replace each original by its new index under the original's name.
void addIndexRewriteBuilds(PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                           std::vector<Step>& steps, std::vector<IndexReplacement>& replacements);

// Flag phase: the finalize steps of the replacements, in plan order.
void addIndexRewriteFinalize(const PlanContext& ctx,
                             const std::vector<IndexReplacement>& replacements,
                             std::vector<Step>& steps);

}  // namespace tenantshift::plan
