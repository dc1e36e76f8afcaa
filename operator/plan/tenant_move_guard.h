#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// A backfill batch gives child rows their parent row's tenant. Were a parent to move to another
// tenant in a transaction still open when the batch reads it, the batch would write the old
// tenant, and the move's ON UPDATE CASCADE, run before the batch commits, would not see those
// rows: they would keep the old tenant. Rather than lock every parent row it reads (a row lock
// per row: WAL and dirtied parent pages, a third of the backfill's time, BENCHMARKS.md), a batch
// takes one transaction-level advisory lock per parent table, exclusively, before its statement
// (the runner: BackfillTask::parentMoveLock), and the parent's guard trigger takes the same lock
// shared whenever an UPDATE changes a row's tenant:
// - a move still open when the batch starts is waited for, and its new tenant read (the batch's
//   statement takes its snapshot after the lock is granted, after the move committed);
// - a move that starts while the batch runs waits before the row changes, so its cascade runs
//   after the batch committed, and moves the rows the batch filled.
// Moves do not wait for each other (shared), and updates that keep the tenant never wait (the
// trigger's WHEN). The lock key is a pair of int4 (kTenantMoveLockClass, tenantMoveLockKey),
// apart from the single-bigint keys applications use most.
inline constexpr std::int32_t kTenantMoveLockClass = 0x74734d76;  // "tsMv"

// The second half of the parent table's lock key: stable for the parent's qualified name.
std::int32_t tenantMoveLockKey(const PlanContext& ctx, const std::string& parent);

// Phase `schema`: one guard per table some other table derives its tenant from, after the
// tenant columns exist (dropped by the full rollback).
void addTenantMoveGuardSteps(const PlanContext& ctx, std::vector<Step>& steps);

}  // namespace tenantshift::plan
