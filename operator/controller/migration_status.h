#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tenantshift::controller {

// A status condition shaped like metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  std::string reason;  // CamelCase
  std::string message;
  std::int64_t observedGeneration = 0;
  std::string lastTransitionTime;  // RFC 3339

  friend bool operator==(const Condition&, const Condition&) = default;
};

// One table's backfill as the ledger records it.
struct TableProgress {
  std::string table;
  std::int64_t rowsDone = 0;
  std::int64_t rowsTotal = 0;  // the planner's estimate
  double rowsPerSecond = 0;
  bool finished = false;
  std::string updatedAt;

  friend bool operator==(const TableProgress&, const TableProgress&) = default;
};

// When one engine phase ran (from its steps in the ledger); empty strings while unknown.
struct PhaseTimes {
  std::string name;
  std::string startedAt;
  std::string finishedAt;

  friend bool operator==(const PhaseTimes&, const PhaseTimes&) = default;
};

// The TenantMigration's status, as the operator writes it through the status subresource.
struct MigrationStatus {
  std::string phase;  // see decide.h for the values
  std::int64_t observedGeneration = 0;
  std::string planHash;
  // The plan hash before the current one (the plan changed: the schema or the spec did), so that
  // an approval of the old plan is told apart from a typo.
  std::string previousPlanHash;
  int stepsDone = 0;
  int stepsTotal = 0;
  std::string progress;  // "12/40 steps", or the backfill's rows while it runs
  // When the operator read the ledger that progress, stepsDone and backfill come from (RFC 3339):
  // while a Job runs it is re-read and written at least every 10 s.
  std::string progressObservedAt;
  std::vector<TableProgress> backfill;
  std::vector<PhaseTimes> phases;
  std::string currentJob;
  std::string message;  // one line for whoever runs `kubectl get tm -o wide` or `describe`
  std::vector<Condition> conditions;

  friend bool operator==(const MigrationStatus&, const MigrationStatus&) = default;
};

nlohmann::json toJson(const MigrationStatus& status);
// Reads what an earlier reconcile wrote; missing or malformed fields are left empty.
MigrationStatus statusFromJson(const nlohmann::json& status);

const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type);

// Sets `condition` in `conditions` (replacing the one of its type). lastTransitionTime is kept
// from the old condition when the status did not change, and set to `now` when it did.
void setCondition(std::vector<Condition>& conditions, Condition condition, const std::string& now);

}  // namespace tenantshift::controller
