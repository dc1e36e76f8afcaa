#include "plan/tenant_move_guard.h"

#include <set>

#include "api/content_hash.h"
#include "plan/tenant_objects.h"
#include "plan/trigger_steps.h"

namespace tenantshift::plan {

namespace {

Step guardStep(const PlanContext& ctx, const std::string& parent) {
  Step step = newStep(Phase::Schema, "schema/tenant-move-guard/" + parent, parent,
                      "an UPDATE that moves a row of " + parent +
                          " to another tenant waits for the backfill batch reading it, and the "
                          "batch for the move (trigger; other updates never wait)");
  const std::string lock = "PERFORM pg_catalog.pg_advisory_xact_lock_shared(" +
                           std::to_string(kTenantMoveLockClass) + ", " +
                           std::to_string(tenantMoveLockKey(ctx, parent)) + "); ";
  addRowTrigger(ctx, step,
                RowTrigger{parent, kTenantMoveTriggerName, tenantMoveFunctionName(parent),
                           "BEGIN " + lock + "RETURN NEW; END", "BEFORE UPDATE",
                           "OLD." + ctx.column() + " IS DISTINCT FROM NEW." + ctx.column()});
  return step;
}

}  // namespace

std::int32_t tenantMoveLockKey(const PlanContext& ctx, const std::string& parent) {
  api::Fnv1a64 hash;
  hash.add(ctx.qualifiedName(parent));
  const std::uint64_t value = hash.value();
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(value ^ (value >> 32U)));
}

void addTenantMoveGuardSteps(const PlanContext& ctx, std::vector<Step>& steps) {
  std::set<std::string> guarded;
  for (const PlannedTable& pt : ctx.tables) {
    if (pt.kind == api::TenantSource::Kind::Parent && guarded.insert(pt.parent).second) {
      steps.push_back(guardStep(ctx, pt.parent));
    }
  }
}

}  // namespace tenantshift::plan
