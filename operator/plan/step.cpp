#include "plan/step.h"

#include "api/content_hash.h"
#include "plan/flag_switch.h"

namespace tenantshift::plan {

namespace {

// Fields with their length first, so that ("ab", "c") and ("a", "bc") differ.
class FieldHash {
 public:
  void add(std::string_view text) {
    hash_.add(std::to_string(text.size()));
    hash_.add(":");
    hash_.add(text);
  }
  std::string hex() const { return hash_.hex(); }

 private:
  api::Fnv1a64 hash_;
};

void addStatements(FieldHash& hash, std::string_view label,
                   const std::vector<Statement>& statements) {
  hash.add(label);
  for (const auto& statement : statements) {
    hash.add(statement.sql);
    hash.add(std::to_string(statement.params.size()));
    for (const auto& param : statement.params) {
      hash.add(param);
    }
  }
}

}  // namespace

std::string_view toString(Phase phase) {
  switch (phase) {
    case Phase::Schema:
      return "schema";
    case Phase::Backfill:
      return "backfill";
    case Phase::Constraints:
      return "constraints";
    case Phase::Rls:
      return "rls";
    case Phase::Verify:
      return "verify";
    case Phase::Flag:
      return "flag";
  }
  return "schema";
}

std::optional<Phase> phaseFromString(std::string_view name) {
  for (Phase phase : kPhases) {
    if (toString(phase) == name) {
      return phase;
    }
  }
  return std::nullopt;
}

std::size_t phaseIndex(Phase phase) {
  for (std::size_t index = 0; index < kPhases.size(); ++index) {
    if (kPhases[index] == phase) {
      return index;
    }
  }
  return kPhases.size();
}

bool isBefore(Phase a, Phase b) {
  return phaseIndex(a) < phaseIndex(b);
}

std::string_view toString(LockLevel level) {
  switch (level) {
    case LockLevel::None:
      return "none";
    case LockLevel::AccessShare:
      return "ACCESS SHARE";
    case LockLevel::RowShare:
      return "ROW SHARE";
    case LockLevel::RowExclusive:
      return "ROW EXCLUSIVE";
    case LockLevel::ShareUpdateExclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case LockLevel::Share:
      return "SHARE";
    case LockLevel::ShareRowExclusive:
      return "SHARE ROW EXCLUSIVE";
    case LockLevel::Exclusive:
      return "EXCLUSIVE";
    case LockLevel::AccessExclusive:
      return "ACCESS EXCLUSIVE";
  }
  return "none";
}

std::string_view toString(DataLossRisk risk) {
  switch (risk) {
    case DataLossRisk::None:
      return "none";
    case DataLossRisk::Medium:
      return "medium";
    case DataLossRisk::High:
      return "high";
  }
  return "none";
}

std::string_view toString(Execution execution) {
  switch (execution) {
    case Execution::Transactional:
      return "transactional";
    case Execution::Concurrent:
      return "concurrent";
    case Execution::Backfill:
      return "backfill";
    case Execution::Verify:
      return "verify";
    case Execution::FlagSwitch:
      return "flag-switch";
  }
  return "transactional";
}

std::string Step::checksum() const {
  FieldHash hash;
  hash.add(id);
  hash.add(toString(execution));
  addStatements(hash, "up", up);
  hash.add(toString(downExecution));
  addStatements(hash, "down", down);
  if (appliedCheck) {
    addStatements(hash, "applied", {*appliedCheck});
  }
  if (backfill) {
    hash.add("backfill");
    hash.add(backfill->table);
    for (const auto& key : backfill->keyColumns) {
      hash.add(key);
    }
    hash.add(backfill->upperBoundSql);
    hash.add(backfill->firstBatchSql);
    hash.add(backfill->nextBatchSql);
    hash.add(backfill->sweepSql);
    hash.add(backfill->firstBatchEndSql);
    hash.add(backfill->nextBatchEndSql);
    for (const auto& column : backfill->touchedColumns) {
      hash.add("touched " + column);
    }
    hash.add(backfill->firstBatchSqlUntouched);
    hash.add(backfill->nextBatchSqlUntouched);
    hash.add(backfill->sweepSqlUntouched);
    if (backfill->parentMoveLock) {
      hash.add("parent-move-lock " + std::to_string(*backfill->parentMoveLock));
    }
  }
  if (flagSwitch) {
    hash.add("flag-switch");
    for (const std::string& field : flagSwitchFields(*flagSwitch)) {
      hash.add(field);
    }
  }
  return hash.hex();
}

Step newStep(Phase phase, std::string id, std::string table, std::string summary) {
  Step step;
  step.id = std::move(id);
  step.phase = phase;
  step.table = std::move(table);
  step.summary = std::move(summary);
  return step;
}

}  // namespace tenantshift::plan
