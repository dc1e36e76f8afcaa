#pragma once

#include <string>
#include <utility>
#include <vector>

#include "controller/observation.h"
#include "engine/engine.h"
#include "plan/plan.h"

namespace tenantshift::controller {

// What the operator keeps of a plan between reads: its hash and its steps' ids and phases, in
// plan order. The steps' SQL, descriptions and table decisions are the Jobs' business; keeping
// whole plans of a hundred migrations cost the operator tens of MB.
struct PlanOutline {
  std::string planHash;
  std::vector<std::pair<std::string, plan::Phase>> steps;  // id, phase
  friend bool operator==(const PlanOutline&, const PlanOutline&) = default;
};

PlanOutline outlineOf(const plan::Plan& plan);

// What decide() needs of the plan and of the ledger's record of it (pure).
LedgerView ledgerView(const PlanOutline& plan, const engine::MigrationStatus& ledger);
LedgerView ledgerView(const plan::Plan& plan, const engine::MigrationStatus& ledger);

}  // namespace tenantshift::controller
