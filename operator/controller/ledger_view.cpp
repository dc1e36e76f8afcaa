#include "controller/ledger_view.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/plan_progress.h"

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

LedgerView ledgerView(const plan::Plan& plan, const engine::MigrationStatus& ledger) {
  std::map<std::string, const engine::StepStatus*> recorded;
  std::map<std::string, engine::StepState> states;
  for (const engine::StepStatus& step : ledger.steps) {
    recorded[step.id] = &step;
    states[step.id] = step.state;
  }
  const engine::PlanProgress counts = engine::planProgress(plan, states);
  LedgerView view;
  view.planHash = counts.planHash;
  for (plan::Phase phase : plan::kPhases) {
    PhaseProgress progress;
    progress.phase = phase;
    progress.total = counts.of(phase).total;
    progress.done = counts.of(phase).done;
    for (const plan::Step* step : plan.stepsOf(phase)) {
      const auto it = recorded.find(step->id);
      if (it == recorded.end()) {
        continue;
      }
      const engine::StepStatus& status = *it->second;
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
  auto stepDone = [&](const std::string& id) {
    const auto it = states.find(id);
    return it != states.end() && it->second == engine::StepState::Done;
  };
  view.flagOnPlanned = plan.findStep("flag/on") != nullptr;
  view.flagOnDone = stepDone("flag/on");
  view.enforceDone = stepDone("flag/enforce");
  for (const engine::BackfillCursorStatus& cursor : ledger.cursors) {
    view.backfill.push_back(tableProgress(cursor));
  }
  return view;
}

}  // namespace tenantshift::controller
