#include "controller/migration_status.h"

#include <algorithm>

namespace tenantshift::controller {

namespace {

template <typename T>
T valueOr(const nlohmann::json& object, const char* key, T fallback) {
  if (!object.is_object()) {
    return fallback;
  }
  const auto it = object.find(key);
  if (it == object.end()) {
    return fallback;
  }
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

nlohmann::json toJson(const Condition& c) {
  return {{"type", c.type},
          {"status", c.status},
          {"reason", c.reason},
          {"message", c.message},
          {"observedGeneration", c.observedGeneration},
          {"lastTransitionTime", c.lastTransitionTime}};
}

Condition conditionFromJson(const nlohmann::json& j) {
  return {valueOr<std::string>(j, "type", ""),
          valueOr<std::string>(j, "status", "Unknown"),
          valueOr<std::string>(j, "reason", ""),
          valueOr<std::string>(j, "message", ""),
          valueOr<std::int64_t>(j, "observedGeneration", 0),
          valueOr<std::string>(j, "lastTransitionTime", "")};
}

}  // namespace

nlohmann::json toJson(const MigrationStatus& status) {
  nlohmann::json out = {{"phase", status.phase},
                        {"observedGeneration", status.observedGeneration},
                        {"stepsDone", status.stepsDone},
                        {"stepsTotal", status.stepsTotal},
                        {"progress", status.progress},
                        {"message", status.message},
                        {"conditions", nlohmann::json::array()}};
  // Empty fields are null: the status is written as a JSON merge patch, where null removes a
  // field an earlier reconcile wrote (a finished Job's name, say) and an absent one keeps it.
  out["planHash"] = status.planHash.empty() ? nlohmann::json() : nlohmann::json(status.planHash);
  out["currentJob"] =
      status.currentJob.empty() ? nlohmann::json() : nlohmann::json(status.currentJob);
  out["previousPlanHash"] =
      status.previousPlanHash.empty() ? nlohmann::json() : nlohmann::json(status.previousPlanHash);
  out["progressObservedAt"] = status.progressObservedAt.empty()
                                  ? nlohmann::json()
                                  : nlohmann::json(status.progressObservedAt);
  out["backfill"] = nullptr;
  out["phases"] = nullptr;
  if (!status.backfill.empty()) {
    out["backfill"] = nlohmann::json::array();
    for (const TableProgress& t : status.backfill) {
      nlohmann::json row = {{"table", t.table},
                            {"rowsDone", t.rowsDone},
                            {"rowsTotal", t.rowsTotal},
                            {"rowsPerSecond", static_cast<std::int64_t>(t.rowsPerSecond)},
                            {"finished", t.finished}};
      if (!t.updatedAt.empty()) {
        row["updatedAt"] = t.updatedAt;
      }
      out["backfill"].push_back(row);
    }
  }
  if (!status.phases.empty()) {
    out["phases"] = nlohmann::json::array();
    for (const PhaseTimes& p : status.phases) {
      nlohmann::json row = {{"name", p.name}};
      if (!p.startedAt.empty()) {
        row["startedAt"] = p.startedAt;
      }
      if (!p.finishedAt.empty()) {
        row["finishedAt"] = p.finishedAt;
      }
      out["phases"].push_back(row);
    }
  }
  for (const Condition& c : status.conditions) {
    out["conditions"].push_back(toJson(c));
  }
  return out;
}

MigrationStatus statusFromJson(const nlohmann::json& j) {
  MigrationStatus out;
  out.phase = valueOr<std::string>(j, "phase", "");
  out.observedGeneration = valueOr<std::int64_t>(j, "observedGeneration", 0);
  out.planHash = valueOr<std::string>(j, "planHash", "");
  out.previousPlanHash = valueOr<std::string>(j, "previousPlanHash", "");
  out.progressObservedAt = valueOr<std::string>(j, "progressObservedAt", "");
  out.stepsDone = valueOr<int>(j, "stepsDone", 0);
  out.stepsTotal = valueOr<int>(j, "stepsTotal", 0);
  out.progress = valueOr<std::string>(j, "progress", "");
  out.currentJob = valueOr<std::string>(j, "currentJob", "");
  out.message = valueOr<std::string>(j, "message", "");
  if (j.is_object() && j.contains("backfill") && j["backfill"].is_array()) {
    for (const auto& row : j["backfill"]) {
      out.backfill.push_back(
          {valueOr<std::string>(row, "table", ""), valueOr<std::int64_t>(row, "rowsDone", 0),
           valueOr<std::int64_t>(row, "rowsTotal", 0),
           static_cast<double>(valueOr<std::int64_t>(row, "rowsPerSecond", 0)),
           valueOr<bool>(row, "finished", false), valueOr<std::string>(row, "updatedAt", "")});
    }
  }
  if (j.is_object() && j.contains("phases") && j["phases"].is_array()) {
    for (const auto& row : j["phases"]) {
      out.phases.push_back({valueOr<std::string>(row, "name", ""),
                            valueOr<std::string>(row, "startedAt", ""),
                            valueOr<std::string>(row, "finishedAt", "")});
    }
  }
  if (j.is_object() && j.contains("conditions") && j["conditions"].is_array()) {
    for (const auto& c : j["conditions"]) {
      out.conditions.push_back(conditionFromJson(c));
    }
  }
  return out;
}

const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type) {
  const auto it = std::find_if(conditions.begin(), conditions.end(),
                               [&](const Condition& c) { return c.type == type; });
  return it == conditions.end() ? nullptr : &*it;
}

void setCondition(std::vector<Condition>& conditions, Condition condition, const std::string& now) {
  const auto it = std::find_if(conditions.begin(), conditions.end(),
                               [&](const Condition& c) { return c.type == condition.type; });
  if (it == conditions.end()) {
    condition.lastTransitionTime = now;
    conditions.push_back(std::move(condition));
    return;
  }
  condition.lastTransitionTime = it->status == condition.status && !it->lastTransitionTime.empty()
                                     ? it->lastTransitionTime
                                     : now;
  *it = std::move(condition);
}

}  // namespace tenantshift::controller
