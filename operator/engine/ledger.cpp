#include "engine/ledger.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <set>

#include "engine/ledger_sql.h"

namespace tenantshift::engine {

namespace {

int versionOf(const std::string& fileName) {
  std::size_t digits = 0;
  while (digits < fileName.size() && std::isdigit(static_cast<unsigned char>(fileName[digits]))) {
    ++digits;
  }
  if (digits == 0) {
    throw std::logic_error("ledger SQL file without a leading version number: " + fileName);
  }
  return std::stoi(fileName.substr(0, digits));
}

// ISO 8601 text of a timestamptz column, "" when NULL.
std::string isoTime(const std::string& column) {
  return "coalesce(to_json(" + column + ") #>> '{}', '')";
}

std::string text(const pqxx::field& field) {
  return field.is_null() ? "" : field.c_str();
}

// Of a step (alias s) marked running: whether the runner that marked it is gone, i.e. does not
// hold the runner lock with a connection that still exists (a killed runner's lock row stays
// until the next runner takes it over, but its backend is gone).
constexpr const char* kRunnerGone = R"sql(
  (s.state = 'running' AND NOT EXISTS (
     SELECT FROM tenantshift.runner_lock l
      WHERE l.runner_id = s.runner_id
        AND EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                     WHERE a.pid = l.holder_pid AND a.backend_start = l.holder_backend_start)))
)sql";

// A state column of tenantshift.step (its CHECK constraint allows only the known ones).
StepState stateOf(const pqxx::field& field) {
  const auto state = stepStateFromString(text(field));
  if (!state) {
    throw EngineError("the ledger records an unknown step state \"" + text(field) +
                      "\" (tenantshift.step.state): was it written by a newer tenantshift?");
  }
  return *state;
}

}  // namespace

namespace {

// Applies the ledger files not applied yet, each in its own transaction. Once the ledger exists,
// its version table is locked first (EXCLUSIVE: readers go on), which serialises concurrent
// runners; only tenantshift's runners can take that lock, as nobody else has a privilege on the
// ledger. Before it exists, concurrent creators race on CREATE SCHEMA and all but one fail with
// a duplicate, and try again.
void applyMissingFiles(pqxx::connection& connection) {
  for (const LedgerSqlFile& file : ledgerSqlFiles()) {
    const int version = versionOf(file.name);
    pqxx::work tx(connection);
    if (Ledger::schemaExists(tx)) {
      tx.exec0("LOCK TABLE tenantshift.ledger_version IN EXCLUSIVE MODE");
      const pqxx::result applied =
          tx.exec_params("SELECT 1 FROM tenantshift.ledger_version WHERE version = $1::integer",
                         std::to_string(version));
      if (!applied.empty()) {
        continue;  // the transaction ends without changes
      }
    }
    tx.exec(file.sql);
    tx.exec_params(
        "INSERT INTO tenantshift.ledger_version (version, file) VALUES ($1::integer, $2)",
        std::to_string(version), file.name);
    tx.commit();
    spdlog::info("ledger schema applied version={} file={}", version, file.name);
  }
}

}  // namespace

void Ledger::ensureSchema(pqxx::connection& connection) {
  for (int attempt = 1;; ++attempt) {
    try {
      applyMissingFiles(connection);
      return;
    } catch (const pqxx::sql_error& error) {
      // 23505 unique_violation (pg_namespace, pg_type), 42P06 duplicate_schema, 42P07
      // duplicate_table: another runner created the ledger at the same moment.
      const std::string& state = error.sqlstate();
      const bool race = state == "23505" || state == "42P06" || state == "42P07";
      if (!race || attempt >= 3) {
        throw;
      }
    }
  }
}

bool Ledger::schemaExists(pqxx::transaction_base& tx) {
  return tx
      .exec1(
          "SELECT to_regclass('tenantshift.ledger_version') IS NOT NULL "
          "AND to_regclass('tenantshift.migration') IS NOT NULL")[0]
      .as<bool>();
}

std::vector<int> Ledger::appliedVersions(pqxx::transaction_base& tx) {
  std::vector<int> versions;
  for (const auto& row : tx.exec("SELECT version FROM tenantshift.ledger_version ORDER BY 1")) {
    versions.push_back(row[0].as<int>());
  }
  return versions;
}

std::optional<MigrationRecord> Ledger::load(pqxx::transaction_base& tx) const {
  const pqxx::result rows = tx.exec_params(
      "SELECT spec_hash, spec::text, catalog::text, baseline_counts::text, "
      "created_tenants_table FROM tenantshift.migration WHERE name = $1",
      migration_);
  if (rows.empty()) {
    return std::nullopt;
  }
  MigrationRecord record;
  record.name = migration_;
  record.specHash = rows[0][0].as<std::string>();
  record.spec = nlohmann::json::parse(rows[0][1].as<std::string>());
  record.catalog = nlohmann::json::parse(rows[0][2].as<std::string>()).get<plan::Catalog>();
  record.baselineCounts = nlohmann::json::parse(rows[0][3].as<std::string>())
                              .get<std::map<std::string, std::int64_t>>();
  record.createdTenantsTable = rows[0][4].as<bool>();
  return record;
}

void Ledger::create(pqxx::transaction_base& tx, const MigrationRecord& record) const {
  tx.exec_params(
      "INSERT INTO tenantshift.migration "
      "(name, spec_hash, spec, catalog, baseline_counts, created_tenants_table) "
      "VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6::boolean)",
      migration_, record.specHash, record.spec.dump(), nlohmann::json(record.catalog).dump(),
      nlohmann::json(record.baselineCounts).dump(), record.createdTenantsTable ? "true" : "false");
}

void Ledger::updateSpec(pqxx::transaction_base& tx, const std::string& specHash,
                        const nlohmann::json& spec) const {
  tx.exec_params(
      "UPDATE tenantshift.migration SET spec_hash = $2, spec = $3::jsonb, updated_at = now() "
      "WHERE name = $1 AND spec_hash IS DISTINCT FROM $2",
      migration_, specHash, spec.dump());
}

void Ledger::remove(pqxx::transaction_base& tx) const {
  tx.exec_params("DELETE FROM tenantshift.migration WHERE name = $1", migration_);
}

std::map<std::string, StepRecord> Ledger::steps(pqxx::transaction_base& tx) const {
  std::map<std::string, StepRecord> out;
  for (const auto& row :
       tx.exec_params("SELECT step_id, state, checksum, attempts FROM tenantshift.step "
                      "WHERE migration = $1",
                      migration_)) {
    StepRecord record{row[0].as<std::string>(), stateOf(row[1]), row[2].as<std::string>(),
                      row[3].as<int>()};
    out.emplace(record.id, record);
  }
  return out;
}

namespace {

nlohmann::json statementsJson(const std::vector<plan::Statement>& statements) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& statement : statements) {
    out.push_back({{"sql", statement.sql},
                   {"params", statement.params},
                   {"concurrentIndex", statement.concurrentIndex}});
  }
  return out;
}

std::vector<plan::Statement> statementsFrom(const nlohmann::json& json) {
  std::vector<plan::Statement> out;
  for (const auto& item : json) {
    plan::Statement statement;
    statement.sql = item.value("sql", std::string());
    statement.params = item.value("params", std::vector<std::string>{});
    statement.concurrentIndex = item.value("concurrentIndex", false);
    out.push_back(std::move(statement));
  }
  return out;
}

}  // namespace

std::vector<plan::Step> Ledger::syncSteps(pqxx::transaction_base& tx,
                                          const std::vector<plan::Step>& planned) const {
  const std::map<std::string, StepRecord> recorded = steps(tx);
  std::set<std::string> plannedIds;
  for (std::size_t ordinal = 0; ordinal < planned.size(); ++ordinal) {
    const plan::Step& step = planned[ordinal];
    plannedIds.insert(step.id);
    const std::string checksum = step.checksum();
    auto it = recorded.find(step.id);
    if (it != recorded.end() && it->second.state == StepState::Done &&
        it->second.checksum != checksum) {
      throw EngineError("step " + step.id +
                            " is done but the plan now gives it different SQL (checksum " +
                            it->second.checksum + " recorded, " + checksum +
                            " planned): the spec, or the tenantshift version, changed under a "
                            "half-done migration; restore the spec and the version it was started "
                            "with, or roll back (rollback --scenario full) and run again",
                        Outcome::PlanDrift);
    }
    tx.exec_params(
        "INSERT INTO tenantshift.step (migration, step_id, phase, ordinal, checksum, down, "
        "down_execution, down_risk) VALUES ($1, $2, $3, $4::integer, $5, $6::jsonb, $7, $8) "
        "ON CONFLICT (migration, step_id) DO UPDATE SET phase = EXCLUDED.phase, "
        "ordinal = EXCLUDED.ordinal, checksum = EXCLUDED.checksum, down = EXCLUDED.down, "
        "down_execution = EXCLUDED.down_execution, down_risk = EXCLUDED.down_risk, "
        "state = CASE WHEN tenantshift.step.state = 'rolled_back' THEN 'pending' "
        "ELSE tenantshift.step.state END",
        migration_, step.id, std::string(plan::toString(step.phase)), std::to_string(ordinal),
        checksum, statementsJson(step.down).dump(), std::string(plan::toString(step.downExecution)),
        std::string(plan::toString(step.downRisk)));
  }
  // Done steps no longer planned: undone when that loses nothing, else the spec may not change.
  std::vector<plan::Step> toUndo;
  const pqxx::result gone = tx.exec_params(
      "SELECT step_id, state, coalesce(down::text, '[]'), coalesce(down_execution, ''), "
      "coalesce(down_risk, ''), phase FROM tenantshift.step WHERE migration = $1 "
      "ORDER BY ordinal DESC",
      migration_);
  for (const auto& row : gone) {
    const std::string id = row[0].as<std::string>();
    if (plannedIds.count(id) > 0) {
      continue;
    }
    if (mayHaveTakenEffect(stateOf(row[1]))) {
      if (row[3].as<std::string>() == plan::toString(plan::Execution::FlagSwitch)) {
        throw EngineError("step " + id +
                              " turned the feature flag on, and the spec no longer has that flag: "
                              "restore spec.featureFlag, turn the flag off with `tenantshift "
                              "rollback --scenario flag-off`, then change it",
                          Outcome::PlanDrift);
      }
      if (row[4].as<std::string>() != "none") {
        throw EngineError(
            "step " + id +
                " is done but no longer in the plan, and undoing it could lose data: the "
                "spec, or the tenantshift version, changed under a half-done migration; "
                "restore the spec and the version it was started with, or roll back "
                "(rollback --scenario full) and run again",
            Outcome::PlanDrift);
      }
      plan::Step step;
      step.id = id;
      step.phase = plan::phaseFromString(row[5].as<std::string>()).value_or(plan::Phase::Schema);
      step.summary = "undo " + id + ", which the spec no longer plans";
      step.down = statementsFrom(nlohmann::json::parse(row[2].as<std::string>()));
      step.downExecution = row[3].as<std::string>() == "concurrent"
                               ? plan::Execution::Concurrent
                               : plan::Execution::Transactional;
      toUndo.push_back(std::move(step));
      continue;
    }
    // Recorded but never took effect: dropped, so that status shows the plan being run.
    tx.exec_params("DELETE FROM tenantshift.step WHERE migration = $1 AND step_id = $2", migration_,
                   id);
  }
  return toUndo;
}

void Ledger::forgetStep(pqxx::transaction_base& tx, const std::string& stepId) const {
  tx.exec_params("DELETE FROM tenantshift.step WHERE migration = $1 AND step_id = $2", migration_,
                 stepId);
}

void Ledger::markRunning(pqxx::transaction_base& tx, const std::string& stepId,
                         bool firstAttempt) const {
  const char* runner = runnerId_.empty() ? nullptr : runnerId_.c_str();
  tx.exec_params(
      "UPDATE tenantshift.step SET state = 'running', attempts = attempts + 1, error = NULL, "
      "started_at = CASE WHEN $3::boolean OR started_at IS NULL THEN now() ELSE started_at END, "
      "finished_at = NULL, runner_id = $4 WHERE migration = $1 AND step_id = $2",
      migration_, stepId, firstAttempt ? "true" : "false", runner);
  tx.exec_params("UPDATE tenantshift.migration SET updated_at = now() WHERE name = $1", migration_);
}

void Ledger::markDone(pqxx::transaction_base& tx, const std::string& stepId, std::int64_t rows,
                      std::int64_t durationMs) const {
  tx.exec_params(
      "UPDATE tenantshift.step SET state = 'done', rows = $3::bigint, error = NULL, "
      "started_at = coalesce(started_at, now()), finished_at = now(), "
      "duration_ms = $4::bigint WHERE migration = $1 AND step_id = $2",
      migration_, stepId, std::to_string(rows), std::to_string(durationMs));
  tx.exec_params("UPDATE tenantshift.migration SET updated_at = now() WHERE name = $1", migration_);
}

void Ledger::markFailed(pqxx::transaction_base& tx, const std::string& stepId,
                        const std::string& error, std::int64_t durationMs) const {
  tx.exec_params(
      "UPDATE tenantshift.step SET state = 'failed', error = $3, finished_at = now(), "
      "duration_ms = $4::bigint WHERE migration = $1 AND step_id = $2",
      migration_, stepId, error, std::to_string(durationMs));
  tx.exec_params("UPDATE tenantshift.migration SET updated_at = now() WHERE name = $1", migration_);
}

void Ledger::markRolledBack(pqxx::transaction_base& tx, const std::string& stepId) const {
  tx.exec_params(
      "UPDATE tenantshift.step SET state = 'rolled_back', rows = 0, error = NULL, "
      "finished_at = now(), report = NULL WHERE migration = $1 AND step_id = $2",
      migration_, stepId);
  tx.exec_params("UPDATE tenantshift.migration SET updated_at = now() WHERE name = $1", migration_);
}

void Ledger::markInterrupted(pqxx::transaction_base& tx, const std::string& stepId) const {
  tx.exec_params(
      "UPDATE tenantshift.step SET state = 'pending', finished_at = NULL "
      "WHERE migration = $1 AND step_id = $2 AND state = 'running'",
      migration_, stepId);
  tx.exec_params("UPDATE tenantshift.migration SET updated_at = now() WHERE name = $1", migration_);
}

void Ledger::setReport(pqxx::transaction_base& tx, const std::string& stepId,
                       const nlohmann::json& report) const {
  tx.exec_params(
      "UPDATE tenantshift.step SET report = $3::jsonb, verified_fingerprint = $4 "
      "WHERE migration = $1 AND step_id = $2",
      migration_, stepId, report.dump(), report.value("fingerprint", std::string()));
}

std::optional<nlohmann::json> Ledger::report(pqxx::transaction_base& tx,
                                             const std::string& stepId) const {
  const pqxx::result rows = tx.exec_params(
      "SELECT report::text FROM tenantshift.step WHERE migration = $1 AND step_id = $2 AND "
      "report IS NOT NULL",
      migration_, stepId);
  if (rows.empty()) {
    return std::nullopt;
  }
  return nlohmann::json::parse(rows[0][0].as<std::string>());
}

std::optional<BackfillCursor> Ledger::cursor(pqxx::transaction_base& tx,
                                             const std::string& table) const {
  const pqxx::result rows = tx.exec_params(
      "SELECT coalesce(to_jsonb(last_key), '[]'::jsonb)::text, rows_done, finished, "
      "rows_scanned FROM tenantshift.backfill_cursor WHERE migration = $1 AND table_name = $2",
      migration_, table);
  if (rows.empty()) {
    return std::nullopt;
  }
  BackfillCursor out;
  out.lastKey = nlohmann::json::parse(rows[0][0].as<std::string>()).get<std::vector<std::string>>();
  out.rowsDone = rows[0][1].as<std::int64_t>();
  out.finished = rows[0][2].as<bool>();
  out.rowsScanned = rows[0][3].as<std::int64_t>();
  return out;
}

void Ledger::saveCursor(pqxx::transaction_base& tx, const std::string& table,
                        const BackfillCursor& cursor) const {
  // The key travels as a JSON array (a bind parameter) and becomes text[] in SQL.
  const std::string keyJson = nlohmann::json(cursor.lastKey).dump();
  const char* key = cursor.lastKey.empty() ? nullptr : keyJson.c_str();  // NULL: not started
  tx.exec_params(
      "INSERT INTO tenantshift.backfill_cursor "
      "(migration, table_name, last_key, rows_done, finished, rows_scanned, updated_at) "
      "VALUES ($1, $2, CASE WHEN $3::jsonb IS NULL THEN NULL "
      "ELSE ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) END, $4::bigint, $5::boolean, "
      "$6::bigint, now()) "
      "ON CONFLICT (migration, table_name) DO UPDATE SET last_key = EXCLUDED.last_key, "
      "rows_done = EXCLUDED.rows_done, finished = EXCLUDED.finished, "
      "rows_scanned = EXCLUDED.rows_scanned, updated_at = now()",
      migration_, table, key, std::to_string(cursor.rowsDone), cursor.finished ? "true" : "false",
      std::to_string(cursor.rowsScanned));
}

void Ledger::saveProgress(pqxx::transaction_base& tx, const BackfillProgress& progress) const {
  const std::string eta = progress.eta ? std::to_string(progress.eta->count()) : "";
  const std::string p50 = progress.baseline ? std::to_string(progress.baseline->p50) : "";
  const std::string p99 = progress.baseline ? std::to_string(progress.baseline->p99) : "";
  const std::string samples = progress.baseline ? std::to_string(progress.baseline->samples) : "";
  tx.exec_params(
      "INSERT INTO tenantshift.backfill_progress (migration, table_name, rows_done, "
      "rows_scanned, rows_total_estimate, rows_per_second, eta_seconds, batch_size, pause_ms, "
      "throttle_state, throttle_reason, sweeping, finished, baseline_p50_ms, baseline_p99_ms, "
      "baseline_samples, updated_at) VALUES ($1, $2, $3::bigint, $4::bigint, $5::bigint, "
      "$6::float8, NULLIF($7, '')::bigint, $8::integer, $9::bigint, $10, $11, $12::boolean, "
      "$13::boolean, NULLIF($14, '')::float8, NULLIF($15, '')::float8, NULLIF($16, '')::integer, "
      "now()) ON CONFLICT (migration, table_name) DO UPDATE SET rows_done = EXCLUDED.rows_done, "
      "rows_scanned = EXCLUDED.rows_scanned, rows_total_estimate = EXCLUDED.rows_total_estimate, "
      "rows_per_second = EXCLUDED.rows_per_second, eta_seconds = EXCLUDED.eta_seconds, "
      "batch_size = EXCLUDED.batch_size, pause_ms = EXCLUDED.pause_ms, "
      "throttle_state = EXCLUDED.throttle_state, throttle_reason = EXCLUDED.throttle_reason, "
      "sweeping = EXCLUDED.sweeping, finished = EXCLUDED.finished, "
      "baseline_p50_ms = EXCLUDED.baseline_p50_ms, baseline_p99_ms = EXCLUDED.baseline_p99_ms, "
      "baseline_samples = EXCLUDED.baseline_samples, updated_at = now()",
      pqxx::prepare::make_dynamic_params(std::vector<std::string>{
          migration_, progress.table, std::to_string(progress.rowsUpdated),
          std::to_string(progress.rowsScanned), std::to_string(progress.estimatedTotal),
          std::to_string(progress.rowsPerSecond), eta, std::to_string(progress.batchSize),
          std::to_string(progress.pause.count()), std::string(analysis::toString(progress.state)),
          progress.reason, progress.sweeping ? "true" : "false",
          progress.finished ? "true" : "false", p50, p99, samples}));
}

void Ledger::resetCursor(pqxx::transaction_base& tx, const std::string& table) const {
  tx.exec_params("DELETE FROM tenantshift.backfill_cursor WHERE migration = $1 AND table_name = $2",
                 migration_, table);
  tx.exec_params(
      "DELETE FROM tenantshift.backfill_progress WHERE migration = $1 AND table_name = $2",
      migration_, table);
}

MigrationStatus Ledger::status(pqxx::transaction_base& tx) const {
  MigrationStatus out;
  out.name = migration_;
  if (!schemaExists(tx)) {
    return out;
  }
  const pqxx::result migration =
      tx.exec_params("SELECT spec_hash, " + isoTime("started_at") + ", " + isoTime("updated_at") +
                         " FROM tenantshift.migration WHERE name = $1",
                     migration_);
  if (migration.empty()) {
    return out;
  }
  out.started = true;
  out.specHash = text(migration[0][0]);
  out.startedAt = text(migration[0][1]);
  out.updatedAt = text(migration[0][2]);
  for (const auto& row :
       tx.exec_params("SELECT step_id, phase, state, rows, attempts, " + isoTime("started_at") +
                          ", " + isoTime("finished_at") +
                          ", coalesce(duration_ms, 0), coalesce(error, ''), " + kRunnerGone +
                          " FROM tenantshift.step s WHERE migration = $1 ORDER BY ordinal, step_id",
                      migration_)) {
    StepStatus step;
    step.id = text(row[0]);
    step.phase = text(row[1]);
    step.state = stateOf(row[2]);
    step.rows = row[3].as<std::int64_t>();
    step.attempts = row[4].as<int>();
    step.startedAt = text(row[5]);
    step.finishedAt = text(row[6]);
    step.durationMs = row[7].as<std::int64_t>();
    step.error = text(row[8]);
    step.runnerGone = row[9].as<bool>();
    out.steps.push_back(std::move(step));
  }
  for (const auto& row : tx.exec_params(
           "SELECT c.table_name, coalesce(to_jsonb(c.last_key), '[]'::jsonb)::text, c.rows_done, "
           "c.finished, p.table_name IS NOT NULL, p.rows_scanned, p.rows_total_estimate, "
           "p.rows_per_second, p.eta_seconds, p.batch_size, p.pause_ms, p.throttle_state, "
           "p.throttle_reason, p.sweeping, p.baseline_p50_ms, p.baseline_p99_ms, "
           "p.baseline_samples, " +
               isoTime("p.updated_at") +
               " FROM tenantshift.backfill_cursor c LEFT JOIN tenantshift.backfill_progress p "
               "ON p.migration = c.migration AND p.table_name = c.table_name "
               "WHERE c.migration = $1 ORDER BY c.table_name",
           migration_)) {
    BackfillCursorStatus cursor;
    cursor.table = text(row[0]);
    cursor.lastKey =
        nlohmann::json::parse(row[1].as<std::string>()).get<std::vector<std::string>>();
    cursor.rowsDone = row[2].as<std::int64_t>();
    cursor.finished = row[3].as<bool>();
    if (row[4].as<bool>()) {
      BackfillProgress progress;
      progress.table = cursor.table;
      progress.rowsUpdated = cursor.rowsDone;
      progress.finished = cursor.finished;
      progress.rowsScanned = row[5].as<std::int64_t>();
      progress.estimatedTotal = row[6].as<std::int64_t>();
      progress.rowsPerSecond = row[7].as<double>();
      if (!row[8].is_null()) {
        progress.eta = std::chrono::seconds(row[8].as<std::int64_t>());
      }
      progress.batchSize = row[9].as<int>();
      progress.pause = std::chrono::milliseconds(row[10].as<std::int64_t>());
      progress.state = analysis::throttleStateFromString(text(row[11]))
                           .value_or(analysis::ThrottleState::Running);
      progress.reason = text(row[12]);
      progress.sweeping = row[13].as<bool>();
      if (!row[14].is_null() && !row[15].is_null() && !row[16].is_null()) {
        progress.baseline = analysis::baselineFigures(row[16].as<std::size_t>(),
                                                      row[14].as<double>(), row[15].as<double>());
      }
      progress.updatedAt = text(row[17]);
      cursor.progress = std::move(progress);
    }
    out.cursors.push_back(std::move(cursor));
  }
  return out;
}

}  // namespace tenantshift::engine
