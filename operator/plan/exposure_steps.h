#pragma once

#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// Phase `rls`, the paths around the policies the plan can close:
// - every view that reads a tenant table (also through other views, in any schema) becomes
//   security_invoker, unless spec.accept.views keeps it (by name in the spec's schema, as
//   schema.name in another); a view the application role reads but whose relations it
//   could not read itself is refused at plan time (switching it would break the application);
// - the application role's SELECT on materialized views over tenant tables is revoked (they
//   cannot be filtered), unless spec.accept.materializedViews keeps it;
// - spec.tenant.lookupFunction: a SECURITY DEFINER slug -> tenant id function for the login.
// Notes say what the plan cannot close (SECURITY DEFINER functions, grants through other roles)
// and what a materialized view's REFRESH will see once the policies are strict.
void addExposureSteps(PlanContext& ctx, std::vector<Step>& steps);

// The marker comment on the lookup function, so that rolling back drops only the one it made.
inline constexpr const char* kLookupFunctionMarker =
    "created by tenantshift (spec.tenant.lookupFunction); dropped by its rollback";

}  // namespace tenantshift::plan
