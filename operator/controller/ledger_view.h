#pragma once

#include "controller/observation.h"
#include "engine/engine.h"
#include "plan/plan.h"

namespace tenantshift::controller {

// What decide() needs of the plan and of the ledger's record of it (pure).
LedgerView ledgerView(const plan::Plan& plan, const engine::MigrationStatus& ledger);

}  // namespace tenantshift::controller
