#include "cli/plan_format.h"

#include <sstream>

#include "api/duration.h"
#include "api/joined.h"
#include "plan/flag_switch.h"
#include "plan/plan_hash.h"
#include "plan/tenant_move_guard.h"

namespace tenantshift::cli {

namespace {

void writeStatements(std::ostringstream& out, const char* label,
                     const std::vector<plan::Statement>& statements) {
  for (const auto& statement : statements) {
    std::string sql = statement.sql;
    // Indent continuation lines under the label.
    std::string indented;
    for (char c : sql) {
      indented.push_back(c);
      if (c == '\n') {
        indented += "           ";
      }
    }
    out << "     " << label << indented << "\n";
    if (!statement.params.empty()) {
      out << "           parameters:";
      for (std::size_t i = 0; i < statement.params.size(); ++i) {
        out << " $" << i + 1 << "='" << statement.params[i] << "'";
      }
      out << "\n";
    }
  }
}

// What a flag switch step sets, up and down (it has no SQL).
void writeFlagSwitch(std::ostringstream& out, const plan::FlagSwitch& flag) {
  std::visit(
      [&](const auto& f) {
        out << "     up:    set " << plan::describeFlagSetting(flag, f.on) << "\n";
        out << "     down:  set " << plan::describeFlagSetting(flag, f.off) << "\n";
      },
      flag);
  if (const auto* d = std::get_if<api::DeploymentFeatureFlag>(&flag)) {
    out << "     each followed by the wait for the Deployment's rollout (at most "
        << api::formatDuration(d->rolloutTimeout) << ")\n";
  }
}

nlohmann::json flagSwitchJson(const plan::FlagSwitch& flag) {
  nlohmann::json out = std::visit(
      [](const auto& f) {
        return nlohmann::json{{"namespace", f.ns}, {"name", f.name}, {"on", f.on}, {"off", f.off}};
      },
      flag);
  if (const auto* c = std::get_if<api::ConfigMapFeatureFlag>(&flag)) {
    out["kind"] = "ConfigMap";
    out["key"] = c->key;
  } else {
    const auto& d = std::get<api::DeploymentFeatureFlag>(flag);
    out["kind"] = "Deployment";
    out["container"] = d.container;
    out["env"] = d.env;
    out["rolloutTimeout"] = api::formatDuration(d.rolloutTimeout);
  }
  return out;
}

nlohmann::json statementsJson(const std::vector<plan::Statement>& statements) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& statement : statements) {
    out.push_back({{"sql", statement.sql}, {"params", statement.params}});
  }
  return out;
}

}  // namespace

std::string formatPlan(const plan::Plan& plan, const api::TenantMigration& migration) {
  const auto& spec = migration.spec;
  std::ostringstream out;
  out << "Plan for TenantMigration " << migration.metadata.name << ": schema "
      << spec.database.schema << ", tenant column " << spec.tenant.column << " ("
      << api::sqlTypeName(spec.tenant.idType) << "), tenants table " << spec.tenant.table
      << ", setting " << spec.tenant.setting << "\n";
  out << "Plan hash " << plan::planHash(plan) << ", " << plan.steps.size() << " steps\n\n";

  out << "Tenant sources (backfill order, parents first):\n";
  for (const auto& decision : plan.decisions) {
    out << "  " << decision.table << ": " << decision.source;
    if (decision.existingColumn) {
      out << " (existing values kept; NULLs filled)";
    }
    out << "\n      why: " << decision.reason << "\n";
    for (const auto& alternative : decision.alternatives) {
      out << "      not: " << alternative << "\n";
    }
    if (!decision.crossTenantRefs.empty()) {
      out << "      cross-tenant references accepted: " << api::joined(decision.crossTenantRefs)
          << "\n";
    }
  }

  std::size_t number = 0;
  for (auto phase : plan::kPhases) {
    auto steps = plan.stepsOf(phase);
    out << "\nPhase " << plan::toString(phase) << " (" << steps.size() << " step"
        << (steps.size() == 1 ? "" : "s") << ")\n";
    for (const auto* step : steps) {
      out << "  " << ++number << ". " << step->id << ": " << step->summary << "\n";
      out << "     lock " << plan::toString(step->lock) << ", risk " << plan::toString(step->risk)
          << ", undo risk " << plan::toString(step->downRisk);
      if (step->execution != plan::Execution::Transactional) {
        out << ", " << plan::toString(step->execution);
      }
      out << "\n";
      if (!step->riskReason.empty()) {
        out << "     risk: " << step->riskReason << "\n";
      }
      if (step->backfill) {
        const auto& task = *step->backfill;
        const api::BackfillSpec& backfill = spec.backfill;
        out << "     "
            << (backfill.batchSize
                    ? "batches of " + std::to_string(*backfill.batchSize) + " rows"
                    : "batches sized to take " + api::formatDuration(backfill.targetBatchDuration) +
                          " (" + std::to_string(backfill.minBatchSize) + " to " +
                          std::to_string(backfill.maxBatchSize) + " rows)")
            << " keyed on ("
            << (task.keyColumns.empty() ? std::string("no primary key: NULL sweep")
                                        : api::joined(task.keyColumns))
            << "), about " << task.estimatedRows << " rows"
            << (backfill.throttle.enabled
                    ? "; throttled on the application's latency (probe p99 +" +
                          std::to_string(backfill.throttle.maxLatencyIncreasePercent) +
                          "% over its baseline), replication lag and lock waits"
                    : "; not throttled")
            << "\n";
        if (!task.keyColumns.empty()) {
          writeStatements(
              out, "batch: ",
              {plan::Statement{task.nextBatchEndSql, {}}, plan::Statement{task.nextBatchSql, {}}});
        }
      }
      writeStatements(out, "up:    ", step->up);
      writeStatements(out, "down:  ", step->down);
      if (step->flagSwitch) {
        writeFlagSwitch(out, *step->flagSwitch);
      }
    }
  }

  if (!plan.notes.empty()) {
    out << "\nNotes:\n";
    for (const auto& note : plan.notes) {
      out << "  - " << note << "\n";
    }
  }
  return out.str();
}

nlohmann::json planToJson(const plan::Plan& plan) {
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& d : plan.decisions) {
    decisions.push_back({{"table", d.table},
                         {"source", d.source},
                         {"reason", d.reason},
                         {"existingColumn", d.existingColumn},
                         {"parent", d.parent},
                         {"sourceForeignKey", d.sourceForeignKey},
                         {"nullableSource", d.nullableSource},
                         {"alternatives", d.alternatives},
                         {"crossTenantRefs", d.crossTenantRefs},
                         {"partitions", d.partitions}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : plan.steps) {
    nlohmann::json s = {{"id", step.id},
                        {"phase", plan::toString(step.phase)},
                        {"table", step.table},
                        {"summary", step.summary},
                        {"execution", plan::toString(step.execution)},
                        {"lock", plan::toString(step.lock)},
                        {"risk", plan::toString(step.risk)},
                        {"downRisk", plan::toString(step.downRisk)},
                        {"riskReason", step.riskReason},
                        {"checksum", step.checksum()},
                        {"up", statementsJson(step.up)},
                        {"down", statementsJson(step.down)}};
    if (step.flagSwitch) {
      s["flagSwitch"] = flagSwitchJson(*step.flagSwitch);
    }
    if (step.backfill) {
      s["backfill"] = {{"keyColumns", step.backfill->keyColumns},
                       {"batchEndSql", step.backfill->nextBatchEndSql},
                       {"batchSql", step.backfill->nextBatchSql},
                       {"sweepSql", step.backfill->sweepSql},
                       {"touchedColumns", step.backfill->touchedColumns},
                       {"estimatedRows", step.backfill->estimatedRows}};
      if (step.backfill->parentMoveLock) {
        s["backfill"]["parentMoveLock"] = {plan::kTenantMoveLockClass,
                                           *step.backfill->parentMoveLock};
      }
    }
    steps.push_back(std::move(s));
  }
  nlohmann::json replacements = nlohmann::json::array();
  for (const auto& r : plan.indexReplacements) {
    replacements.push_back({{"table", r.table},
                            {"index", r.index},
                            {"replacement", r.replacement},
                            {"unique", r.unique},
                            {"constraint", r.constraint}});
  }
  nlohmann::json phaseCounts = nlohmann::json::object();
  for (plan::Phase phase : plan::kPhases) {
    phaseCounts[std::string(plan::toString(phase))] = plan.stepsOf(phase).size();
  }
  return {{"planHash", plan::planHash(plan)},
          {"stepCounts", {{"total", plan.steps.size()}, {"phases", phaseCounts}}},
          {"decisions", decisions},
          {"steps", steps},
          {"notes", plan.notes},
          {"indexReplacements", replacements}};
}

}  // namespace tenantshift::cli
