#pragma once

#include <string>

#include "plan/plan.h"

namespace tenantshift::plan {

// A stable hash of what the plan would do (every step's id, phase, SQL and parameters, up and
// down): what a person approves, and what a Job's termination message and the operator's status
// name. The same spec on a changed schema gives another hash.
std::string planHash(const Plan& plan);

}  // namespace tenantshift::plan
