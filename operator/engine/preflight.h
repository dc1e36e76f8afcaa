#pragma once

#include <chrono>
#include <pqxx/pqxx>
#include <vector>

#include "plan/plan.h"

namespace tenantshift::engine {

// Tries the plan's preflights (plan::Preflight) in one transaction under `lockTimeout`, and rolls
// it back: nothing changes. When one fails for a reason in the data or the schema (SQLSTATE class
// 22 or 23: a CHECK, NOT NULL, unique or width violation) it throws api::SpecError naming the
// preflight's field, with PostgreSQL's message (the constraint, the failing row) and the hint.
// Any other error (a lock timeout, a lost connection) propagates as it is.
void runPreflights(pqxx::connection& connection, const std::vector<plan::Preflight>& preflights,
                   std::chrono::milliseconds lockTimeout);

}  // namespace tenantshift::engine
