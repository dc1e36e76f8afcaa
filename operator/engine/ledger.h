#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "engine/backfill_progress.h"
#include "engine/engine.h"
#include "engine/step_state.h"
#include "plan/catalog.h"
#include "plan/plan.h"

namespace tenantshift::engine {

// What the ledger holds about one migration (tenantshift.migration).
struct MigrationRecord {
  std::string name;
  std::string specHash;
  nlohmann::json spec;
  plan::Catalog catalog;  // the schema before the first step
  std::map<std::string, std::int64_t> baselineCounts;
  bool createdTenantsTable = false;
};

// One step as recorded (tenantshift.step).
struct StepRecord {
  std::string id;
  StepState state = StepState::Pending;
  std::string checksum;
  int attempts = 0;
};

// Where one table's backfill stands (tenantshift.backfill_cursor).
struct BackfillCursor {
  std::vector<std::string> lastKey;  // empty: not started
  std::int64_t rowsDone = 0;
  bool finished = false;
  std::int64_t rowsScanned = 0;  // keys the keyset pass has covered
};

// The ledger of one migration in schema `tenantshift` of the target database. Every call takes
// the transaction it runs in, so that a step's effect and its ledger entry commit together.
class Ledger {
 public:
  explicit Ledger(std::string migration) : migration_(std::move(migration)) {}
  const std::string& migration() const { return migration_; }
  // The runner (RunnerLock::runnerId) that marks steps running from now on.
  void setRunnerId(std::string runnerId) { runnerId_ = std::move(runnerId); }

  // Applies the ledger's SQL files not yet applied (each once, in order, each in its own
  // transaction). Safe to call any number of times, also concurrently.
  static void ensureSchema(pqxx::connection& connection);
  // Whether the ledger's tables exist (read-only callers: plan, verify, status).
  static bool schemaExists(pqxx::transaction_base& tx);
  // The versions recorded in tenantshift.ledger_version, in order.
  static std::vector<int> appliedVersions(pqxx::transaction_base& tx);

  std::optional<MigrationRecord> load(pqxx::transaction_base& tx) const;
  void create(pqxx::transaction_base& tx, const MigrationRecord& record) const;
  void updateSpec(pqxx::transaction_base& tx, const std::string& specHash,
                  const nlohmann::json& spec) const;
  // Deletes the migration and (cascade) its steps and cursors.
  void remove(pqxx::transaction_base& tx) const;

  std::map<std::string, StepRecord> steps(pqxx::transaction_base& tx) const;
  // Records the planned steps (with what undoes each): new ones as pending; not-done ones get the
  // planned checksum and ordinal (and rolled_back ones become pending again). Throws EngineError
  // when a done step's checksum differs from the plan's, or a done step that is no longer
  // planned cannot be undone without a data-loss risk. Returns the done steps no longer planned
  // that can be (their recorded down SQL, latest first): the caller undoes them.
  std::vector<plan::Step> syncSteps(pqxx::transaction_base& tx,
                                    const std::vector<plan::Step>& steps) const;
  // Forgets a step (after its undo, when it is no longer planned).
  void forgetStep(pqxx::transaction_base& tx, const std::string& stepId) const;

  // attempts + 1, state running, started_at now() (first attempt of this execution only).
  void markRunning(pqxx::transaction_base& tx, const std::string& stepId, bool firstAttempt) const;
  void markDone(pqxx::transaction_base& tx, const std::string& stepId, std::int64_t rows,
                std::int64_t durationMs) const;
  void markFailed(pqxx::transaction_base& tx, const std::string& stepId, const std::string& error,
                  std::int64_t durationMs) const;
  void markRolledBack(pqxx::transaction_base& tx, const std::string& stepId) const;
  // A running step stopped at a safe point (SIGTERM between backfill batches): pending again,
  // with its attempts, start time and backfill cursor kept, so that the next run resumes it.
  void markInterrupted(pqxx::transaction_base& tx, const std::string& stepId) const;
  void setReport(pqxx::transaction_base& tx, const std::string& stepId,
                 const nlohmann::json& report) const;
  // The report recorded for `stepId`, if any.
  std::optional<nlohmann::json> report(pqxx::transaction_base& tx, const std::string& stepId) const;

  std::optional<BackfillCursor> cursor(pqxx::transaction_base& tx, const std::string& table) const;
  void saveCursor(pqxx::transaction_base& tx, const std::string& table,
                  const BackfillCursor& cursor) const;
  // Deletes the table's cursor and progress (the backfill starts over).
  void resetCursor(pqxx::transaction_base& tx, const std::string& table) const;
  // Records where the table's backfill stands (tenantshift.backfill_progress).
  void saveProgress(pqxx::transaction_base& tx, const BackfillProgress& progress) const;

  // Everything `status` shows; started=false when there is no record.
  MigrationStatus status(pqxx::transaction_base& tx) const;

 private:
  std::string migration_;
  std::string runnerId_;
};

}  // namespace tenantshift::engine
