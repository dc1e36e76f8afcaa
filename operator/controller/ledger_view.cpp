#include "controller/ledger_view.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "plan/plan_hash.h"

namespace tenantshift::controller {

namespace {

TableProgress tableProgress(const engine::BackfillCursorStatus& cursor) {
  TableProgress out;
  out.table = cursor.table;
  out.rowsDone = cursor.rowsDone;
  out.finished = cursor.finished;
  if (cursor.progress) {
    out.rowsDone = std::max(cursor.progress->rowsScanned, cursor.rowsDone);
    out.rowsTotal = cursor.progress->estimatedTotal;
    // Whole rows: the status holds integers, and a fraction would make every read-back differ.
    out.rowsPerSecond = static_cast<double>(std::llround(cursor.progress->rowsPerSecond));
    out.updatedAt = cursor.progress->updatedAt;
  }
  return out;
}

}  // namespace

PlanOutline outlineOf(const plan::Plan& plan) {
  PlanOutline outline;
  outline.planHash = plan::planHash(plan);
  outline.steps.reserve(plan.steps.size());
  for (const plan::Step& step : plan.steps) {
    outline.steps.emplace_back(step.id, step.phase);
  }
  return outline;
}

LedgerView ledgerView(const PlanOutline& plan, const engine::MigrationStatus& ledger) {
  std::map<std::string, const engine::StepStatus*> recorded;
  for (const engine::StepStatus& step : ledger.steps) {
    recorded[step.id] = &step;
  }
  auto stepDone = [&](const std::string& id) {
    const auto it = recorded.find(id);
    return it != recorded.end() && it->second->state == engine::StepState::Done;
  };
  LedgerView view;
  view.planHash = plan.planHash;
  for (plan::Phase phase : plan::kPhases) {
    PhaseProgress progress;
    progress.phase = phase;
    for (const auto& [id, stepPhase] : plan.steps) {
      if (stepPhase != phase) {
        continue;
      }
      ++progress.total;
      const auto it = recorded.find(id);
      if (it == recorded.end()) {
        continue;
      }
      const engine::StepStatus& status = *it->second;
      progress.done += status.state == engine::StepState::Done ? 1 : 0;
      if (!status.startedAt.empty() &&
          (progress.startedAt.empty() || status.startedAt < progress.startedAt)) {
        progress.startedAt = status.startedAt;
      }
      if (status.finishedAt > progress.finishedAt) {
        progress.finishedAt = status.finishedAt;
      }
    }
    view.phases.push_back(progress);
  }
  view.flagOnPlanned = std::any_of(plan.steps.begin(), plan.steps.end(),
                                   [](const auto& step) { return step.first == "flag/on"; });
  view.flagOnDone = stepDone("flag/on");
  view.enforceDone = stepDone("flag/enforce");
  for (const engine::BackfillCursorStatus& cursor : ledger.cursors) {
    view.backfill.push_back(tableProgress(cursor));
  }
  return view;
}

LedgerView ledgerView(const plan::Plan& plan, const engine::MigrationStatus& ledger) {
  return ledgerView(outlineOf(plan), ledger);
}

}  // namespace tenantshift::controller
