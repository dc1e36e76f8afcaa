#include "engine/verifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::engine {

using api::joined;

namespace {

using plan::qualified;
using plan::quoteIdent;

// How many tenants the per-tenant visibility spot check probes as the app role, per table.
constexpr std::size_t kSpotCheckTenants = 5;
// The SQLSTATE of insufficient_privilege, which is also what a row-level security violation
// raises.
constexpr std::string_view kInsufficientPrivilege = "42501";
constexpr std::string_view kForeignKeyViolation = "23503";

std::string firstLine(const std::string& text) {
  auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

std::string errorText(const pqxx::sql_error& error) {
  std::string text = firstLine(error.what());
  if (!error.sqlstate().empty()) {
    text += " (SQLSTATE " + error.sqlstate() + ")";
  }
  return text;
}

std::string jsonArray(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

std::vector<std::string> parseJsonList(const pqxx::field& field) {
  if (field.is_null()) {
    return {};
  }
  return nlohmann::json::parse(field.as<std::string>()).get<std::vector<std::string>>();
}

// An SQL error a probe expected (or not), kept by value: pqxx::sql_error is not assignable.
struct ProbeError {
  std::string sqlstate;
  std::string text;  // first line of the message, with its SQLSTATE
};

// The SQLSTATE of an error. libpqxx 6 leaves sqlstate() empty for the errors it maps to a
// subclass, so those are recognised by type.
std::string sqlstateOf(const pqxx::sql_error& error) {
  if (!error.sqlstate().empty()) {
    return error.sqlstate();
  }
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&error)) {
    return "42501";
  }
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&error)) {
    return "23503";
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&error)) {
    return "23505";
  }
  if (dynamic_cast<const pqxx::not_null_violation*>(&error)) {
    return "23502";
  }
  if (dynamic_cast<const pqxx::check_violation*>(&error)) {
    return "23514";
  }
  return "";
}

// A savepoint on the verification transaction, rolled back unless released. Plain SQL on the
// one transaction object, and every statement through exec_params: libpqxx 6 aborts the whole
// transaction when a statement sent with exec() fails, which would end the verification.
class Savepoint {
 public:
  Savepoint(pqxx::dbtransaction& tx, int& counter)
      : tx_(tx), name_("tenantshift_verify_" + std::to_string(++counter)) {
    tx_.exec_params("SAVEPOINT " + name_);
  }
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint() {
    if (done_) {
      return;
    }
    try {
      rollback();
    } catch (const std::exception& error) {
      spdlog::warn("verify: could not roll back savepoint {}: {}", name_, error.what());
    }
  }

  void release() {
    done_ = true;
    tx_.exec_params("RELEASE SAVEPOINT " + name_);
  }
  void rollback() {
    done_ = true;
    tx_.exec_params("ROLLBACK TO SAVEPOINT " + name_);
    tx_.exec_params("RELEASE SAVEPOINT " + name_);
  }

 private:
  pqxx::dbtransaction& tx_;
  std::string name_;
  bool done_ = false;
};

// One physical row, addressed the way the probes address it: tableoid picks the partition (a
// ctid is only unique within one), ctid the row version.
struct RowAddress {
  std::string tableoid;
  std::string ctid;
};

struct PolicyInfo {
  std::string name;
  char command = '*';  // pg_policy.polcmd: r, a, w, d or *
  bool permissive = true;
  bool appliesToApp = false;
};

// What the verifier learns about one tenant table before probing it.
struct TableInfo {
  std::string name;
  std::string qname;  // "schema"."name"
  std::string oid;
  bool exists = false;
  bool tenantColumn = false;
  bool rowSecurity = false;
  bool forceRowSecurity = false;
  std::string owner;
  bool ownedByApp = false;  // the app role has the owner's privileges (is or inherits it)
  bool countsKnown = false;
  std::int64_t rows = 0;  // count(*) as the runner
  std::int64_t nullTenants = 0;
  std::vector<std::pair<std::string, std::int64_t>> tenantCounts;  // largest first
  std::vector<PolicyInfo> policies;
};

class Verifier {
 public:
  Verifier(pqxx::connection& connection, const api::MigrationSpec& spec,
           const plan::Catalog& before, const plan::Plan& plan,
           const std::map<std::string, std::int64_t>& baselineCounts, bool strict)
      : connection_(connection),
        spec_(spec),
        before_(before),
        plan_(plan),
        baselineCounts_(baselineCounts),
        strict_(strict),
        schema_(spec.database.schema),
        column_(spec.tenant.column),
        qcolumn_(quoteIdent(spec.tenant.column)),
        idType_(api::sqlTypeName(spec.tenant.idType)),
        setting_(spec.tenant.setting),
        appRole_(spec.database.appRole),
        tenantsQname_(qualified(spec.database.schema, spec.tenant.table)) {}

  VerifyReport run() {
    pqxx::work tx(connection_, "tenantshift_verify");
    tx_ = &tx;
    // One snapshot for every check: counts compared with each other (all rows as the runner vs
    // the rows the app role sees) must not drift while the application keeps writing.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    // The probes take row locks; never queue behind the application for longer than a DDL step
    // would.
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)",
                   std::to_string(spec_.ddl.lockTimeout.count()) + "ms");
    checkRunner();
    checkRole();
    loadTables();
    checkOwnership();
    checkRowSecurity();
    checkPolicies();
    // Before anything sets the tenant setting in this transaction.
    checkSettings();
    checkData();
    checkUniques();
    checkIndexes();
    checkViews();
    checkIsolation();
    // Everything above, probe rows and tenants included, is undone here.
    tx.abort();
    tx_ = nullptr;
    spdlog::info("verify: {} checks, {} failed, {} warning(s)", report_.checks.size(),
                 report_.count(CheckOutcome::Failed), report_.count(CheckOutcome::Warning));
    return std::move(report_);
  }

 private:
  void add(std::string check, std::string table, CheckOutcome outcome, std::string detail) {
    if (outcome == CheckOutcome::Failed) {
      spdlog::warn("verify {} {}: {}", check, table, detail);
    } else {
      spdlog::debug("verify {} {}: {}", check, table, detail);
    }
    report_.checks.push_back({std::move(check), std::move(table), outcome, std::move(detail)});
  }

  // Runs `body` in a savepoint that is kept when it succeeds; an SQL error becomes a Failed
  // check (the savepoint is rolled back, so the transaction stays usable).
  void guarded(const std::string& check, const std::string& table,
               const std::function<void(pqxx::dbtransaction&)>& body) {
    try {
      Savepoint savepoint(*tx_, savepoints_);
      body(*tx_);
      savepoint.release();
    } catch (const pqxx::sql_error& error) {
      add(check, table, CheckOutcome::Failed,
          "the check could not run: " + errorText(error) + "; fix the cause and run verify again");
    }
  }

  // Runs `body` as the app role in a savepoint that is always rolled back: the role, the tenant
  // setting and anything the probe changed end with it. `tenant`: the tenant to set, if any.
  template <typename Body>
  void asApp(pqxx::dbtransaction& parent, const std::optional<std::string>& tenant, Body&& body) {
    Savepoint savepoint(parent, savepoints_);
    parent.exec_params("SET LOCAL ROLE " + quoteIdent(appRole_));
    if (tenant) {
      parent.exec_params("SELECT set_config($1, $2, true)", setting_, *tenant);
    }
    body(parent);
    savepoint.rollback();
  }

  enum class OnSuccess { Undo, Keep };

  // Runs one statement in a savepoint of its own, so that an expected error leaves the
  // enclosing probe usable; on success its effects are undone, or kept with OnSuccess::Keep.
  // Returns the error when there was one.
  template <typename Statement>
  std::optional<ProbeError> attempt(pqxx::dbtransaction& parent, Statement&& statement,
                                    OnSuccess onSuccess = OnSuccess::Undo) {
    Savepoint savepoint(parent, savepoints_);
    try {
      statement(parent);
    } catch (const pqxx::sql_error& error) {
      savepoint.rollback();
      return ProbeError{sqlstateOf(error), errorText(error)};
    }
    if (onSuccess == OnSuccess::Keep) {
      savepoint.release();
    } else {
      savepoint.rollback();
    }
    return std::nullopt;
  }

  std::string cast(int parameter) const { return "$" + std::to_string(parameter) + "::" + idType_; }

  bool appUsable() const { return appRoleExists_ && canAssumeApp_; }

  // --- runner and role ------------------------------------------------------------------------

  void checkRunner() {
    auto row = tx_->exec_params1(
        "SELECT current_user::text, r.rolsuper, r.rolbypassrls FROM pg_roles r "
        "WHERE r.rolname = current_user");
    runner_ = row[0].as<std::string>();
    runnerSuperuser_ = row[1].as<bool>();
    bool bypasses = runnerSuperuser_ || row[2].as<bool>();
    if (!bypasses) {
      add("runner.bypass-rls", "", CheckOutcome::Warning,
          "verify runs as " + quoteIdent(runner_) +
              ", which is neither superuser nor BYPASSRLS: its row counts are filtered by "
              "row-level security on FORCE'd tables it owns; run verify as a superuser or a "
              "BYPASSRLS role for exact counts");
    }
  }

  void checkRole() {
    if (appRole_.empty()) {
      add("role.exists", "", CheckOutcome::Failed,
          "spec.database.appRole is empty: name the application's login role, the role RLS "
          "must apply to");
      return;
    }
    auto rows = tx_->exec_params("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1",
                                 appRole_);
    if (rows.empty()) {
      add("role.exists", "", CheckOutcome::Failed,
          "the app role " + quoteIdent(appRole_) +
              " does not exist: create it or fix spec.database.appRole");
      return;
    }
    appRoleExists_ = true;
    add("role.exists", "", CheckOutcome::Passed,
        "the app role " + quoteIdent(appRole_) + " exists");
    if (rows[0][0].as<bool>()) {
      add("role.not-superuser", "", CheckOutcome::Failed,
          "the app role " + quoteIdent(appRole_) +
              " is a superuser and bypasses row-level security: ALTER ROLE " +
              quoteIdent(appRole_) + " NOSUPERUSER");
    } else {
      add("role.not-superuser", "", CheckOutcome::Passed, "the app role is not a superuser");
    }
    if (rows[0][1].as<bool>()) {
      add("role.no-bypassrls", "", CheckOutcome::Failed,
          "the app role " + quoteIdent(appRole_) +
              " has BYPASSRLS and bypasses row-level security: ALTER ROLE " + quoteIdent(appRole_) +
              " NOBYPASSRLS");
    } else {
      add("role.no-bypassrls", "", CheckOutcome::Passed, "the app role does not have BYPASSRLS");
    }
    canAssumeApp_ =
        runnerSuperuser_ ||
        tx_->exec_params1("SELECT pg_has_role(current_user, $1, 'MEMBER')", appRole_)[0].as<bool>();
    if (!canAssumeApp_) {
      add("role.assumable", "", CheckOutcome::Failed,
          "verify runs as " + quoteIdent(runner_) + ", which cannot SET ROLE " +
              quoteIdent(appRole_) +
              ", so isolation cannot be probed: run verify as a superuser or GRANT " +
              quoteIdent(appRole_) + " TO " + quoteIdent(runner_));
    }
  }

  // --- catalog --------------------------------------------------------------------------------

  void loadTables() {
    std::set<std::string> seen;
    for (const auto& decision : plan_.decisions) {
      if (!seen.insert(decision.table).second) {
        continue;
      }
      TableInfo info;
      info.name = decision.table;
      info.qname = qualified(schema_, decision.table);
      auto rows = tx_->exec_params(
          "SELECT c.oid::text, c.relrowsecurity, c.relforcerowsecurity, "
          "pg_get_userbyid(c.relowner), "
          "EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = $3 "
          "AND pg_has_role(r.oid, c.relowner, 'USAGE')), "
          "EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $4 "
          "AND a.attnum > 0 AND NOT a.attisdropped) "
          "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
          schema_, decision.table, appRole_, column_);
      if (rows.empty()) {
        add("table.exists", info.name, CheckOutcome::Failed,
            "planned tenant table " + info.qname +
                " does not exist: was it renamed or dropped since the plan was made?");
        tables_.push_back(std::move(info));
        continue;
      }
      info.exists = true;
      info.oid = rows[0][0].as<std::string>();
      info.rowSecurity = rows[0][1].as<bool>();
      info.forceRowSecurity = rows[0][2].as<bool>();
      info.owner = rows[0][3].as<std::string>();
      info.ownedByApp = rows[0][4].as<bool>();
      info.tenantColumn = rows[0][5].as<bool>();
      if (!info.tenantColumn) {
        add("tenant-column.exists", info.name, CheckOutcome::Failed,
            "table has no " + qcolumn_ + " column: run the schema phase (tenantshift run)");
      }
      tables_.push_back(std::move(info));
    }
    for (auto& table : tables_) {
      if (table.exists && table.tenantColumn) {
        loadCounts(table);
      }
    }
  }

  void loadCounts(TableInfo& table) {
    guarded("data.row-count", table.name, [&](pqxx::dbtransaction& tx) {
      auto rows = tx.exec_params("SELECT " + qcolumn_ + "::text, count(*) FROM " + table.qname +
                                 " GROUP BY 1 ORDER BY 2 DESC, 1");
      for (const auto& row : rows) {
        auto count = row[1].as<std::int64_t>();
        table.rows += count;
        if (row[0].is_null()) {
          table.nullTenants = count;
        } else {
          table.tenantCounts.emplace_back(row[0].as<std::string>(), count);
        }
      }
      table.countsKnown = true;
    });
  }

  void checkOwnership() {
    if (!appRoleExists_) {
      return;
    }
    std::vector<std::string> owned;
    for (const auto& table : tables_) {
      if (table.exists && table.ownedByApp) {
        owned.push_back(table.name + " (owner " + table.owner + ")");
      }
    }
    if (owned.empty()) {
      add("role.not-owner", "", CheckOutcome::Passed,
          "the app role owns no tenant table (nor is a member of an owner)");
    } else {
      add("role.not-owner", "", CheckOutcome::Failed,
          "the app role " + quoteIdent(appRole_) +
              " owns (or inherits the owner of) tenant tables, and owners bypass row-level "
              "security unless FORCE is set: " +
              joined(owned) + "; ALTER TABLE ... OWNER TO a role the application does not use");
    }
  }

  void checkRowSecurity() {
    for (const auto& table : tables_) {
      if (!table.exists) {
        continue;
      }
      if (table.rowSecurity) {
        add("rls.enabled", table.name, CheckOutcome::Passed, "row-level security is enabled");
      } else {
        add("rls.enabled", table.name, CheckOutcome::Failed,
            "row-level security is not enabled: ALTER TABLE " + table.qname +
                " ENABLE ROW LEVEL SECURITY (run the rls phase)");
      }
      if (table.forceRowSecurity) {
        add("rls.forced", table.name, CheckOutcome::Passed, "row-level security is forced");
      } else {
        add("rls.forced", table.name, CheckOutcome::Failed,
            "row-level security is not forced, so the table owner " + quoteIdent(table.owner) +
                " bypasses it: ALTER TABLE " + table.qname + " FORCE ROW LEVEL SECURITY");
      }
    }
  }

  void checkPolicies() {
    for (auto& table : tables_) {
      if (!table.exists) {
        continue;
      }
      auto rows = tx_->exec_params(
          "SELECT p.polname, p.polcmd::text, p.polpermissive, "
          "('0'::oid = ANY (p.polroles) OR EXISTS (SELECT 1 FROM pg_roles r, "
          "unnest(p.polroles) AS pr(oid) WHERE r.rolname = $2 "
          "AND pg_has_role(r.oid, pr.oid, 'MEMBER'))) "
          "FROM pg_policy p WHERE p.polrelid = $1::oid ORDER BY p.polname",
          table.oid, appRole_);
      for (const auto& row : rows) {
        PolicyInfo policy;
        policy.name = row[0].as<std::string>();
        auto command = row[1].as<std::string>();
        policy.command = command.empty() ? '*' : command[0];
        policy.permissive = row[2].as<bool>();
        policy.appliesToApp = row[3].as<bool>();
        table.policies.push_back(std::move(policy));
      }
      const std::vector<std::pair<char, std::string>> commands = {
          {'r', "SELECT"}, {'a', "INSERT"}, {'w', "UPDATE"}, {'d', "DELETE"}};
      std::vector<std::string> missing;
      for (const auto& [code, name] : commands) {
        bool covered = std::any_of(
            table.policies.begin(), table.policies.end(), [code = code](const PolicyInfo& p) {
              return p.permissive && p.appliesToApp && (p.command == code || p.command == '*');
            });
        if (!covered) {
          missing.push_back(name);
        }
      }
      if (missing.empty()) {
        add("rls.policies", table.name, CheckOutcome::Passed,
            "policies cover SELECT, INSERT, UPDATE and DELETE for the app role: " +
                policyNames(table));
      } else {
        add("rls.policies", table.name, CheckOutcome::Failed,
            "no permissive policy applying to the app role covers " + joined(missing) +
                (table.policies.empty() ? std::string(" (the table has no policy)")
                                        : " (policies: " + policyNames(table) + ")") +
                ": run the rls phase, which creates tenantshift_select/insert/update/delete");
      }
    }
  }

  static std::string policyNames(const TableInfo& table) {
    std::vector<std::string> names;
    for (const auto& policy : table.policies) {
      std::string command = policy.command == '*'   ? "ALL"
                            : policy.command == 'r' ? "SELECT"
                            : policy.command == 'a' ? "INSERT"
                            : policy.command == 'w' ? "UPDATE"
                                                    : "DELETE";
      names.push_back(quoteIdent(policy.name) + " " + command +
                      (policy.permissive ? "" : " RESTRICTIVE"));
    }
    return names.empty() ? std::string("none") : joined(names);
  }

  // --- the tenant setting unset or '' ---------------------------------------------------------

  void checkSettings() {
    if (!appUsable()) {
      return;
    }
    bool neverSet =
        tx_->exec_params1("SELECT current_setting($1, true) IS NULL", setting_)[0].as<bool>();
    checkSetting("setting.unset", std::nullopt,
                 neverSet ? "never set in this session" : "reset to its default");
    checkSetting("setting.empty", std::string(), "set to ''");
  }

  void checkSetting(const std::string& check, const std::optional<std::string>& value,
                    const std::string& how) {
    guarded(check, "", [&](pqxx::dbtransaction& tx) {
      pqxx::dbtransaction& probe = tx;
      Savepoint savepoint(tx, savepoints_);
      if (value) {
        probe.exec_params("SELECT set_config($1, $2, true)", setting_, *value);
      } else {
        // A NULL value resets the setting to its default (a no-op when it was never set).
        probe.exec_params("SELECT set_config($1, NULL, true)", setting_);
      }
      probe.exec_params("SET LOCAL ROLE " + quoteIdent(appRole_));
      for (const auto& table : tables_) {
        if (!table.exists || !table.countsKnown) {
          continue;
        }
        std::int64_t visible = 0;
        auto error = attempt(probe, [&](pqxx::dbtransaction& statement) {
          visible =
              statement.exec_params1("SELECT count(*) FROM " + table.qname)[0].as<std::int64_t>();
        });
        std::string context = "as the app role with " + setting_ + " " + how + ", ";
        if (error) {
          add(check, table.name, CheckOutcome::Failed,
              context + "SELECT count(*) fails: " + error->text +
                  "; policies must read the setting as (SELECT NULLIF(current_setting(" +
                  plan::quoteLiteral(setting_) + ", true), '')::" + idType_ + ")");
        } else if (strict_ && visible != 0) {
          add(check, table.name, CheckOutcome::Failed,
              context + "the app role sees " + std::to_string(visible) +
                  " rows; once enforced, no tenant set must mean no rows (run the enforce "
                  "step)");
        } else if (!strict_ && visible != table.rows) {
          add(check, table.name, CheckOutcome::Failed,
              context + "the app role sees " + std::to_string(visible) + " of " +
                  std::to_string(table.rows) +
                  " rows; until the feature flag is on, the application runs without a "
                  "tenant and must see every row (transition policies)");
        } else {
          add(check, table.name, CheckOutcome::Passed,
              context + "SELECT count(*) runs and returns " + std::to_string(visible) +
                  (strict_ ? " rows (strict)" : " rows, all of them (transition mode)"));
        }
      }
      savepoint.rollback();
    });
  }

  // --- data -----------------------------------------------------------------------------------

  void checkData() {
    for (const auto& table : tables_) {
      if (!table.exists || !table.countsKnown) {
        continue;
      }
      checkRowCount(table);
      checkNullTenants(table);
      checkOrphans(table);
      checkTenantVisibility(table);
    }
  }

  void checkRowCount(const TableInfo& table) {
    auto baseline = baselineCounts_.find(table.name);
    if (baseline == baselineCounts_.end()) {
      add("data.row-count", table.name, CheckOutcome::Warning,
          "no pre-migration row count was recorded for this table; it now holds " +
              std::to_string(table.rows) + " rows");
    } else if (baseline->second == table.rows) {
      add("data.row-count", table.name, CheckOutcome::Passed,
          std::to_string(table.rows) + " rows, as before the migration");
    } else {
      add("data.row-count", table.name, CheckOutcome::Warning,
          std::to_string(table.rows) + " rows now, " + std::to_string(baseline->second) +
              " before the migration (the application may have written meanwhile; check "
              "if it was stopped)");
    }
  }

  void checkNullTenants(const TableInfo& table) {
    if (table.nullTenants == 0) {
      add("data.null-tenant", table.name, CheckOutcome::Passed, "no row has a NULL " + qcolumn_);
    } else {
      add("data.null-tenant", table.name, CheckOutcome::Failed,
          std::to_string(table.nullTenants) + " rows have a NULL " + qcolumn_ +
              " and are visible to no tenant: resume the backfill (tenantshift run) before "
              "the constraints and enforce steps");
    }
  }

  void checkOrphans(const TableInfo& table) {
    guarded("data.orphans", table.name, [&](pqxx::dbtransaction& tx) {
      std::vector<std::string> problems;
      auto missing = tx.exec_params1("SELECT count(*) FROM " + table.qname + " AS x WHERE x." +
                                     qcolumn_ + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " +
                                     tenantsQname_ + " AS t WHERE t." +
                                     quoteIdent(tenantsIdColumn(tx)) + " = x." + qcolumn_ + ")")[0]
                         .as<std::int64_t>();
      if (missing > 0) {
        problems.push_back(std::to_string(missing) + " rows have a " + qcolumn_ + " missing from " +
                           tenantsQname_);
      }
      auto foreignKeys = tx.exec_params(
          "SELECT con.conname, ref.relname, "
          "(SELECT json_agg(a.attname ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY "
          "AS k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n)"
          "::text, "
          "(SELECT json_agg(a.attname ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY "
          "AS k(n, i) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n)"
          "::text, "
          "NOT EXISTS (SELECT 1 FROM unnest(con.conkey) AS k(n) JOIN pg_attribute a "
          "ON a.attrelid = con.conrelid AND a.attnum = k.n WHERE NOT a.attnotnull) "
          "FROM pg_constraint con JOIN pg_class ref ON ref.oid = con.confrelid "
          "WHERE con.contype = 'f' AND con.conrelid = $1::oid ORDER BY con.conname",
          table.oid);
      for (const auto& fk : foreignKeys) {
        std::string parentName = fk[1].as<std::string>();
        bool parentIsTenantTable = std::any_of(
            tables_.begin(), tables_.end(),
            [&](const TableInfo& t) { return t.exists && t.tenantColumn && t.name == parentName; });
        if (!parentIsTenantTable || !fk[4].as<bool>()) {
          continue;
        }
        auto columns = parseJsonList(fk[2]);
        auto referenced = parseJsonList(fk[3]);
        std::string join;
        for (std::size_t i = 0; i < columns.size() && i < referenced.size(); ++i) {
          if (columns[i] == column_) {
            continue;  // a composite key with the tenant column enforces consistency itself
          }
          join += std::string(join.empty() ? "" : " AND ") + "c." + quoteIdent(columns[i]) +
                  " = p." + quoteIdent(referenced[i]);
        }
        if (join.empty()) {
          continue;
        }
        auto differing =
            tx.exec_params1("SELECT count(*) FROM " + table.qname + " AS c JOIN " +
                            qualified(schema_, parentName) + " AS p ON " + join + " WHERE c." +
                            qcolumn_ + " IS DISTINCT FROM p." + qcolumn_)[0]
                .as<std::int64_t>();
        if (differing > 0) {
          problems.push_back(std::to_string(differing) + " rows whose " + qcolumn_ +
                             " differs from their " + quoteIdent(parentName) +
                             " row's (foreign key " + quoteIdent(fk[0].as<std::string>()) + ")");
        }
      }
      if (problems.empty()) {
        add("data.orphans", table.name, CheckOutcome::Passed,
            "every " + qcolumn_ + " exists in " + tenantsQname_ +
                " and matches the parent row's through NOT NULL foreign keys");
      } else {
        add("data.orphans", table.name, CheckOutcome::Failed,
            joined(problems, "; ") +
                ": fix these rows (or the backfill's derivation) and run verify again");
      }
    });
  }

  // The id column of the tenants table: its single-column primary key, else "id".
  std::string tenantsIdColumn(pqxx::dbtransaction& tx) {
    if (tenantsIdColumn_) {
      return *tenantsIdColumn_;
    }
    auto rows = tx.exec_params(
        "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary AND i.indnkeyatts = 1",
        schema_, spec_.tenant.table);
    tenantsIdColumn_ = rows.empty() ? std::string("id") : rows[0][0].as<std::string>();
    return *tenantsIdColumn_;
  }

  // Every row must be visible to exactly one tenant: for the largest tenants of the table, the
  // app role with that tenant set must see exactly the rows the runner counts for it.
  void checkTenantVisibility(const TableInfo& table) {
    if (!appUsable()) {
      return;
    }
    guarded("data.tenant-sum", table.name, [&](pqxx::dbtransaction& tx) {
      std::vector<std::string> mismatches;
      std::vector<std::string> matches;
      std::int64_t covered = 0;
      std::size_t probed = std::min(kSpotCheckTenants, table.tenantCounts.size());
      for (std::size_t i = 0; i < probed; ++i) {
        const auto& [tenant, expected] = table.tenantCounts[i];
        std::int64_t visible = 0;
        asApp(tx, tenant, [&](pqxx::dbtransaction& probe) {
          visible = probe.exec_params1("SELECT count(*) FROM " + table.qname)[0].as<std::int64_t>();
        });
        if (visible == expected) {
          covered += expected;
          matches.push_back(tenant + ": " + std::to_string(visible));
        } else {
          mismatches.push_back("with tenant " + tenant + " set the app role sees " +
                               std::to_string(visible) + " rows, but the table holds " +
                               std::to_string(expected) + " rows of that tenant");
        }
      }
      for (std::size_t i = probed; i < table.tenantCounts.size(); ++i) {
        covered += table.tenantCounts[i].second;
      }
      if (!mismatches.empty()) {
        add("data.tenant-sum", table.name, CheckOutcome::Failed,
            joined(mismatches, "; ") +
                ": each row must be visible to exactly its own tenant; check the policies (" +
                policyNames(table) + ")");
      } else {
        add("data.tenant-sum", table.name, CheckOutcome::Passed,
            "rows visible per tenant match the table (" + joined(matches) + "; " +
                std::to_string(table.tenantCounts.size()) + " tenants, " + std::to_string(covered) +
                " of " + std::to_string(table.rows) + " rows belong to exactly one tenant)");
      }
    });
  }

  // --- unique keys and indexes ----------------------------------------------------------------

  bool keptByBefore(const std::string& table, const std::vector<std::string>& columns,
                    const std::string& name, const std::string& indexName, std::string& why) const {
    const api::TableSpec* tableSpec = spec_.findTable(table);
    auto kept = [&](const std::string& candidate) {
      return tableSpec && std::find(tableSpec->keepUnique.begin(), tableSpec->keepUnique.end(),
                                    candidate) != tableSpec->keepUnique.end();
    };
    if (kept(name) || kept(indexName)) {
      why = "kept global by spec.tables[].keepUnique";
      return true;
    }
    const plan::Table* beforeTable = before_.findTable(table);
    if (!beforeTable) {
      return false;
    }
    std::set<std::string> liveColumns(columns.begin(), columns.end());
    for (const auto& key : beforeTable->uniqueKeys) {
      std::set<std::string> keyColumns(key.columns.begin(), key.columns.end());
      bool same = key.name == name || key.indexName == indexName || keyColumns == liveColumns;
      if (!same) {
        continue;
      }
      if (kept(key.name) || kept(key.indexName)) {
        why = "kept global by spec.tables[].keepUnique (was " + quoteIdent(key.name) + ")";
        return true;
      }
      if (!key.referencedBy.empty()) {
        why = "kept global: referenced by foreign key " + quoteIdent(key.referencedBy.front());
        return true;
      }
    }
    return false;
  }

  bool replacedAfterTheFlag(const std::string& table, const std::string& key) const {
    return std::any_of(
        plan_.indexReplacements.begin(), plan_.indexReplacements.end(),
        [&](const plan::IndexReplacement& r) { return r.table == table && r.index == key; });
  }

  void checkUniques() {
    for (const auto& table : tables_) {
      if (!table.exists || !table.tenantColumn) {
        continue;
      }
      guarded("unique.includes-tenant", table.name, [&](pqxx::dbtransaction& tx) {
        auto rows = tx.exec_params(
            "SELECT coalesce(con.conname, ic.relname), ic.relname, i.indisprimary, "
            "(SELECT json_agg(coalesce(a.attname::text, '') ORDER BY k.i) "
            " FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(n, i) "
            " LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n "
            " WHERE k.i <= i.indnkeyatts)::text, "
            "i.indexprs IS NOT NULL, "
            "(SELECT min(f.conname) FROM pg_constraint f WHERE f.contype = 'f' "
            " AND f.conindid = i.indexrelid) "
            "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
            "LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid "
            " AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u') "
            "WHERE i.indrelid = $1::oid AND i.indisunique ORDER BY 1",
            table.oid);
        for (const auto& row : rows) {
          auto name = row[0].as<std::string>();
          auto indexName = row[1].as<std::string>();
          bool primary = row[2].as<bool>();
          auto columns = parseJsonList(row[3]);
          bool expressions = row[4].as<bool>();
          std::string check = "unique.includes-tenant";
          std::string label = "unique key " + quoteIdent(name) + " (" + joined(columns) + ")";
          std::string why;
          if (std::find(columns.begin(), columns.end(), column_) != columns.end()) {
            add(check, table.name, CheckOutcome::Passed, label + " includes " + qcolumn_);
          } else if (primary) {
            add(check, table.name, CheckOutcome::Passed,
                label + " is the primary key (left global)");
          } else if (!row[5].is_null()) {
            add(check, table.name, CheckOutcome::Passed,
                label + " is kept global: referenced by foreign key " +
                    quoteIdent(row[5].as<std::string>()));
          } else if (!strict_ && replacedAfterTheFlag(table.name, name)) {
            add(check, table.name, CheckOutcome::Passed,
                label +
                    " stays global until the feature flag is on; its per-tenant "
                    "replacement is built and takes its name after the flag");
          } else if (keptByBefore(table.name, columns, name, indexName, why)) {
            add(check, table.name, CheckOutcome::Passed, label + " is " + why);
          } else {
            std::string detail =
                label + " does not include " + qcolumn_ +
                ", so two tenants cannot hold the same value: rewrite it to lead with " + qcolumn_ +
                " (run the constraints phase) or list it in spec.tables[].keepUnique";
            CheckOutcome outcome = CheckOutcome::Failed;
            if (expressions) {
              outcome = CheckOutcome::Warning;
              detail += " (it has expression columns, which the planner leaves alone)";
            } else if (!spec_.rewriteUniques) {
              outcome = CheckOutcome::Warning;
              detail += " (spec.rewriteUniques is false)";
            }
            add(check, table.name, outcome, detail);
          }
        }
      });
    }
  }

  std::string probeTenant(const TableInfo& table) const {
    return table.tenantCounts.empty() ? spec_.tenant.defaultTenant.id
                                      : table.tenantCounts.front().first;
  }

  static void collectIndexScans(const nlohmann::json& node, std::vector<std::string>& indexes,
                                std::vector<std::string>& nodeTypes) {
    if (!node.is_object()) {
      return;
    }
    auto type = node.value("Node Type", std::string());
    if (!type.empty()) {
      nodeTypes.push_back(type);
    }
    if ((type == "Index Scan" || type == "Index Only Scan" || type == "Bitmap Index Scan") &&
        node.contains("Index Name")) {
      indexes.push_back(node["Index Name"].get<std::string>());
    }
    if (node.contains("Plans")) {
      for (const auto& child : node["Plans"]) {
        collectIndexScans(child, indexes, nodeTypes);
      }
    }
  }

  void checkIndexes() {
    for (const auto& table : tables_) {
      if (!table.exists || !table.tenantColumn) {
        continue;
      }
      guarded("index.tenant-filter", table.name, [&](pqxx::dbtransaction& tx) {
        std::vector<std::string> indexes;
        std::vector<std::string> nodeTypes;
        {
          pqxx::dbtransaction& probe = tx;
          Savepoint savepoint(tx, savepoints_);
          probe.exec_params("SET LOCAL enable_seqscan = off");
          auto plan = probe.exec_params1("EXPLAIN (FORMAT JSON) SELECT * FROM " + table.qname +
                                             " WHERE " + qcolumn_ + " = " + cast(1),
                                         probeTenant(table));
          auto json = nlohmann::json::parse(plan[0].as<std::string>());
          for (const auto& entry : json) {
            collectIndexScans(entry.value("Plan", nlohmann::json::object()), indexes, nodeTypes);
          }
          savepoint.rollback();
        }
        std::string leading;
        for (const auto& index : indexes) {
          auto rows = tx.exec_params(
              "SELECT a.attname FROM pg_class ic JOIN pg_index i ON i.indexrelid = ic.oid "
              "JOIN pg_namespace n ON n.oid = ic.relnamespace "
              "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
              "WHERE n.nspname = $1 AND ic.relname = $2",
              schema_, index);
          if (!rows.empty() && rows[0][0].as<std::string>() == column_) {
            leading = index;
            break;
          }
        }
        if (!leading.empty()) {
          add("index.tenant-filter", table.name, CheckOutcome::Passed,
              "a query filtered on " + qcolumn_ + " uses index " + quoteIdent(leading));
        } else {
          add("index.tenant-filter", table.name, CheckOutcome::Failed,
              "a query filtered on " + qcolumn_ + " uses no index leading with it (plan: " +
                  joined(nodeTypes) + "): CREATE INDEX CONCURRENTLY ON " + table.qname + " (" +
                  qcolumn_ + ") (run the constraints phase)");
        }
      });
    }
  }

  // --- views ----------------------------------------------------------------------------------

  void checkViews() {
    std::vector<std::string> tenantTables;
    for (const auto& table : tables_) {
      if (table.exists) {
        tenantTables.push_back(table.name);
      }
    }
    std::set<std::string> tenantSet(tenantTables.begin(), tenantTables.end());
    std::vector<std::string> beforeViews;
    for (const auto& view : before_.views) {
      if (std::any_of(view.tables.begin(), view.tables.end(),
                      [&](const std::string& t) { return tenantSet.count(t) > 0; })) {
        beforeViews.push_back(view.name);
      }
    }
    guarded("views.security_invoker", "", [&](pqxx::dbtransaction& tx) {
      auto rows = tx.exec_params(
          "WITH RECURSIVE tenant_tables AS ("
          "  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          "  WHERE n.nspname = $1 AND c.relname IN (SELECT jsonb_array_elements_text($2::jsonb))"
          "), readers(view_oid, read_oid) AS ("
          "  SELECT r.ev_class, d.refobjid FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid"
          "  WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass"
          "    AND d.refobjid IN (SELECT oid FROM tenant_tables) AND r.ev_class <> d.refobjid"
          "  UNION"
          "  SELECT r.ev_class, d.refobjid FROM readers rd"
          "  JOIN pg_depend d ON d.refobjid = rd.view_oid AND d.classid = 'pg_rewrite'::regclass"
          "    AND d.refclassid = 'pg_class'::regclass"
          "  JOIN pg_rewrite r ON r.oid = d.objid WHERE r.ev_class <> d.refobjid"
          "), candidates AS ("
          "  SELECT view_oid, read_oid FROM readers"
          "  UNION"
          "  SELECT c.oid, NULL::oid FROM pg_class c JOIN pg_namespace n ON n.oid = "
          "c.relnamespace"
          "  WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')"
          "    AND c.relname IN (SELECT jsonb_array_elements_text($3::jsonb))"
          ")"
          "SELECT n.nspname, v.relname, v.relkind::text,"
          "  coalesce((SELECT bool_or(lower(o) IN ('security_invoker=true', "
          "'security_invoker=on', 'security_invoker=1', 'security_invoker=yes')) "
          "FROM unnest(v.reloptions) AS o), false),"
          "  EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = $4 "
          "AND has_table_privilege(r.oid, v.oid, 'SELECT')),"
          "  coalesce(string_agg(DISTINCT t.relname, ', '), '')"
          " FROM candidates cd JOIN pg_class v ON v.oid = cd.view_oid"
          " JOIN pg_namespace n ON n.oid = v.relnamespace"
          " LEFT JOIN pg_class t ON t.oid = cd.read_oid"
          " WHERE v.relkind IN ('v', 'm')"
          " GROUP BY n.nspname, v.relname, v.relkind, v.reloptions, v.oid"
          " ORDER BY 1, 2",
          schema_, jsonArray(tenantTables), jsonArray(beforeViews), appRole_);
      if (rows.empty()) {
        add("views.security_invoker", "", CheckOutcome::Passed, "no view reads a tenant table");
      }
      for (const auto& row : rows) {
        std::string name = qualified(row[0].as<std::string>(), row[1].as<std::string>());
        bool materialized = row[2].as<std::string>() == "m";
        bool invoker = row[3].as<bool>();
        bool appCanRead = row[4].as<bool>();
        std::string reads = row[5].as<std::string>();
        std::string readsText = reads.empty() ? "" : " (reads " + reads + ")";
        if (materialized) {
          add("views.security_invoker", name,
              appCanRead ? CheckOutcome::Warning : CheckOutcome::Passed,
              appCanRead ? "materialized view" + readsText +
                               " stores every tenant's rows and cannot be security_invoker: REVOKE "
                               "SELECT from the app role or replace it with a security_invoker view"
                         : "materialized view" + readsText + " is not readable by the app role");
        } else if (invoker) {
          add("views.security_invoker", name, CheckOutcome::Passed,
              "view" + readsText + " has security_invoker = true");
        } else if (!appCanRead) {
          add("views.security_invoker", name, CheckOutcome::Passed,
              "view" + readsText + " is not security_invoker but the app role cannot read it");
        } else {
          add("views.security_invoker", name, CheckOutcome::Warning,
              "view" + readsText +
                  " reads tenant tables as its owner and bypasses RLS; set security_invoker = "
                  "true (ALTER VIEW " +
                  name + " SET (security_invoker = true))");
        }
      }
    });
  }

  // --- isolation ------------------------------------------------------------------------------

  // Creates tenant B, the probe tenant, as a copy of `templateTenant`'s tenants row with a new
  // id and unique text values where the tenants table has unique or name-like columns.
  std::optional<std::string> createProbeTenant(pqxx::dbtransaction& tx,
                                               const std::string& templateTenant) {
    std::string idColumn = tenantsIdColumn(tx);
    std::string newId;
    switch (spec_.tenant.idType) {
      case api::TenantIdType::Uuid:
        newId = tx.exec_params1("SELECT gen_random_uuid()::text")[0].as<std::string>();
        break;
      case api::TenantIdType::Bigint:
        newId = tx.exec_params1("SELECT (coalesce(max(" + quoteIdent(idColumn) +
                                "), 0) + 1)::text FROM " + tenantsQname_)[0]
                    .as<std::string>();
        break;
      case api::TenantIdType::Text:
        newId = tx.exec_params1("SELECT 'tenantshift-verify-' || gen_random_uuid()::text")[0]
                    .as<std::string>();
        break;
    }
    std::string marker =
        tx.exec_params1("SELECT 'tenantshift-verify-' || gen_random_uuid()::text")[0]
            .as<std::string>();
    auto columns = tx.exec_params(
        "SELECT a.attname, a.attidentity::text, t.typcategory::text, "
        "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique "
        "AND a.attnum = ANY (i.indkey::int2[])) "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped "
        "AND a.attgenerated = '' ORDER BY a.attnum",
        schema_, spec_.tenant.table);
    std::vector<std::string> names;
    std::vector<std::string> values;
    bool overriding = false;
    for (const auto& column : columns) {
      auto name = column[0].as<std::string>();
      names.push_back(quoteIdent(name));
      overriding = overriding || column[1].as<std::string>() == "a";
      bool text = column[2].as<std::string>() == "S";
      if (name == idColumn) {
        values.push_back("$1::" + idType_);
      } else if (text && (column[3].as<bool>() || name == "slug" || name == "name")) {
        values.emplace_back("$2");
      } else {
        values.emplace_back("t." + quoteIdent(name));
      }
    }
    auto inserted = tx.exec_params("INSERT INTO " + tenantsQname_ + " AS dst (" + joined(names) +
                                       ")" + (overriding ? " OVERRIDING SYSTEM VALUE" : "") +
                                       " SELECT " + joined(values) + " FROM " + tenantsQname_ +
                                       " AS t WHERE t." + quoteIdent(idColumn) + " = " + cast(3) +
                                       " RETURNING dst." + quoteIdent(idColumn) + "::text",
                                   newId, marker, templateTenant);
    if (inserted.empty()) {
      return std::nullopt;
    }
    return inserted[0][0].as<std::string>();
  }

  void checkIsolation() {
    if (!appUsable()) {
      return;
    }
    std::vector<const TableInfo*> targets;
    for (const auto& table : tables_) {
      if (table.exists && table.countsKnown) {
        targets.push_back(&table);
      }
    }
    if (targets.empty()) {
      return;
    }
    std::optional<std::string> tenantB;
    guarded("isolation.setup", "", [&](pqxx::dbtransaction& tx) {
      std::string idColumn = tenantsIdColumn(tx);
      auto anyTenant =
          tx.exec_params("SELECT " + quoteIdent(idColumn) + "::text FROM " + tenantsQname_ +
                             " ORDER BY (" + quoteIdent(idColumn) + "::text = $1) DESC LIMIT 1",
                         spec_.tenant.defaultTenant.id);
      if (anyTenant.empty()) {
        add("isolation.setup", "", CheckOutcome::Warning,
            tenantsQname_ + " has no tenant, so isolation cannot be probed");
        return;
      }
      tenantB = createProbeTenant(tx, anyTenant[0][0].as<std::string>());
    });
    if (!tenantB) {
      return;
    }
    int copyNumber = 0;
    for (const TableInfo* table : targets) {
      guarded("isolation", table->name,
              [&](pqxx::dbtransaction& tx) { probeTable(tx, *table, *tenantB, ++copyNumber); });
    }
  }

  std::optional<RowAddress> findRow(pqxx::dbtransaction& tx, const TableInfo& table,
                                    const std::string& condition, const std::string& tenant) {
    auto rows = tx.exec_params("SELECT tableoid::text, ctid::text FROM " + table.qname + " WHERE " +
                                   condition + " LIMIT 1",
                               tenant);
    if (rows.empty()) {
      return std::nullopt;
    }
    return RowAddress{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
  }

  // Moves one row to tenant B as the runner. Foreign keys that include the tenant column may
  // refuse the move (no parent row in tenant B); the move is then done with triggers (and so
  // foreign key checks) off, when the runner may do that. Everything is rolled back at the end.
  std::optional<RowAddress> moveRow(pqxx::dbtransaction& tx, const TableInfo& table,
                                    const RowAddress& row, const std::string& tenantB,
                                    std::string& problem) {
    std::optional<RowAddress> moved;
    std::string update = "UPDATE " + table.qname + " SET " + qcolumn_ + " = " + cast(1) +
                         " WHERE tableoid = $2::oid AND ctid = $3::tid "
                         "RETURNING tableoid::text, ctid::text";
    auto run = [&](pqxx::dbtransaction& statement) {
      auto rows = statement.exec_params(update, tenantB, row.tableoid, row.ctid);
      if (!rows.empty()) {
        moved = RowAddress{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
      }
    };
    auto error = attempt(tx, run, OnSuccess::Keep);
    if (error && error->sqlstate == kForeignKeyViolation && runnerSuperuser_) {
      error = attempt(
          tx,
          [&](pqxx::dbtransaction& statement) {
            statement.exec_params("SET LOCAL session_replication_role = replica");
            run(statement);
            statement.exec_params("SET LOCAL session_replication_role = origin");
          },
          OnSuccess::Keep);
    }
    if (error) {
      problem = "could not move a row to the probe tenant: " + error->text;
      return std::nullopt;
    }
    if (!moved) {
      problem = "the row picked for the probe disappeared (concurrent delete?)";
    }
    return moved;
  }

  bool appHasPrivilege(pqxx::dbtransaction& tx, const TableInfo& table,
                       const std::string& privilege) {
    return tx
        .exec_params1("SELECT has_table_privilege($1, $2::oid, $3)", appRole_, table.oid,
                      privilege)[0]
        .as<bool>();
  }

  void probeTable(pqxx::dbtransaction& tx, const TableInfo& table, const std::string& tenantB,
                  int copyNumber) {
    if (table.rows < 2 || table.tenantCounts.empty()) {
      add("isolation", table.name, CheckOutcome::Warning,
          "too few rows to probe (" + std::to_string(table.rows) +
              " with a tenant; at least 2 needed): isolation of this table is unproven");
      return;
    }
    const std::string tenantA = table.tenantCounts.front().first;
    // Prefer moving a row that is not tenant A's, so that A keeps its rows.
    auto source = findRow(tx, table, qcolumn_ + " IS DISTINCT FROM " + cast(1), tenantA);
    if (!source) {
      source = findRow(tx, table, qcolumn_ + " = " + cast(1), tenantA);
    }
    std::string problem;
    std::optional<RowAddress> moved;
    if (source) {
      moved = moveRow(tx, table, *source, tenantB, problem);
    } else {
      problem = "no row found to move to the probe tenant";
    }
    if (!moved) {
      add("isolation", table.name, CheckOutcome::Warning,
          problem + ": isolation of this table is unproven");
      return;
    }

    // A copy of the moved row, readable by the app role, for the insert probe.
    auto columnRows = tx.exec_params(
        "SELECT attname, attidentity::text FROM pg_attribute WHERE attrelid = $1::oid "
        "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        table.oid);
    std::vector<std::string> columns;
    bool overriding = false;
    for (const auto& row : columnRows) {
      columns.push_back(quoteIdent(row[0].as<std::string>()));
      overriding = overriding || row[1].as<std::string>() == "a";
    }
    std::string copyName = quoteIdent("tenantshift_verify_copy_" + std::to_string(copyNumber));
    std::string copy = "pg_temp." + copyName;
    tx.exec_params("CREATE TEMP TABLE " + copyName + " ON COMMIT DROP AS SELECT " +
                   joined(columns) + " FROM " + table.qname + " WITH NO DATA");
    tx.exec_params("INSERT INTO " + copy + " SELECT " + joined(columns) + " FROM " + table.qname +
                       " WHERE tableoid = $1::oid AND ctid = $2::tid",
                   moved->tableoid, moved->ctid);
    tx.exec_params("GRANT SELECT ON " + copy + " TO " + quoteIdent(appRole_));

    probeSelect(tx, table, tenantA, *moved);
    probeUpdate(tx, table, tenantA, *moved);
    probeDelete(tx, table, tenantA, *moved);
    probeInsert(tx, table, tenantA, copy, columns, overriding);
    probeUpdateMove(tx, table, tenantA, tenantB);
  }

  std::string isolationHint(const TableInfo& table) const {
    return "policies must compare " + qcolumn_ + " to (SELECT NULLIF(current_setting(" +
           plan::quoteLiteral(setting_) + ", true), '')::" + idType_ +
           ") and permissive policies are OR-ed, so one that ignores the tenant opens the "
           "table (policies: " +
           policyNames(table) + ")";
  }

  void probeSelect(pqxx::dbtransaction& tx, const TableInfo& table, const std::string& tenantA,
                   const RowAddress& moved) {
    if (!appHasPrivilege(tx, table, "SELECT")) {
      add("isolation.select", table.name, CheckOutcome::Passed,
          "the app role has no SELECT privilege on the table");
      return;
    }
    std::int64_t others = 0;
    std::int64_t movedVisible = 0;
    std::int64_t own = 0;
    asApp(tx, tenantA, [&](pqxx::dbtransaction& probe) {
      others = probe
                   .exec_params1("SELECT count(*) FROM " + table.qname + " WHERE " + qcolumn_ +
                                     " IS DISTINCT FROM " + cast(1),
                                 tenantA)[0]
                   .as<std::int64_t>();
      movedVisible = probe
                         .exec_params1("SELECT count(*) FROM " + table.qname +
                                           " WHERE tableoid = $1::oid AND ctid = $2::tid",
                                       moved.tableoid, moved.ctid)[0]
                         .as<std::int64_t>();
      own = probe.exec_params1("SELECT count(*) FROM " + table.qname)[0].as<std::int64_t>();
    });
    if (others == 0 && movedVisible == 0) {
      add("isolation.select", table.name, CheckOutcome::Passed,
          "with tenant " + tenantA + " set the app role sees " + std::to_string(own) +
              " rows, none of another tenant");
    } else {
      add("isolation.select", table.name, CheckOutcome::Failed,
          "with tenant " + tenantA + " set the app role sees " + std::to_string(others) +
              " rows of other tenants" +
              (movedVisible > 0 ? " (including the probe row moved to another tenant)" : "") +
              ": " + isolationHint(table));
    }
  }

  void probeUpdate(pqxx::dbtransaction& tx, const TableInfo& table, const std::string& tenantA,
                   const RowAddress& moved) {
    probeWriteOtherTenant(tx, table, tenantA, moved, "UPDATE", "isolation.update",
                          "UPDATE " + table.qname + " SET " + qcolumn_ + " = " + qcolumn_ +
                              " WHERE tableoid = $1::oid AND ctid = $2::tid");
  }

  void probeDelete(pqxx::dbtransaction& tx, const TableInfo& table, const std::string& tenantA,
                   const RowAddress& moved) {
    probeWriteOtherTenant(
        tx, table, tenantA, moved, "DELETE", "isolation.delete",
        "DELETE FROM " + table.qname + " WHERE tableoid = $1::oid AND ctid = $2::tid");
  }

  void probeWriteOtherTenant(pqxx::dbtransaction& tx, const TableInfo& table,
                             const std::string& tenantA, const RowAddress& moved,
                             const std::string& privilege, const std::string& check,
                             const std::string& sql) {
    if (!appHasPrivilege(tx, table, privilege)) {
      add(check, table.name, CheckOutcome::Passed,
          "the app role has no " + privilege + " privilege on the table");
      return;
    }
    std::size_t affected = 0;
    std::optional<ProbeError> error;
    asApp(tx, tenantA, [&](pqxx::dbtransaction& probe) {
      error = attempt(probe, [&](pqxx::dbtransaction& statement) {
        affected = statement.exec_params(sql, moved.tableoid, moved.ctid).affected_rows();
      });
    });
    if (error && error->sqlstate == kInsufficientPrivilege) {
      add(check, table.name, CheckOutcome::Passed,
          privilege + " of another tenant's row was rejected: " + error->text);
    } else if (error) {
      add(check, table.name, CheckOutcome::Failed,
          privilege +
              " of another tenant's row failed with an error instead of affecting no "
              "row: " +
              error->text);
    } else if (affected == 0) {
      add(check, table.name, CheckOutcome::Passed,
          "with tenant " + tenantA + " set, " + privilege +
              " of another tenant's row affects no row");
    } else {
      add(check, table.name, CheckOutcome::Failed,
          "with tenant " + tenantA + " set, the app role's " + privilege +
              " reached another tenant's row: " + isolationHint(table));
    }
  }

  void probeInsert(pqxx::dbtransaction& tx, const TableInfo& table, const std::string& tenantA,
                   const std::string& copy, const std::vector<std::string>& columns,
                   bool overriding) {
    if (!appHasPrivilege(tx, table, "INSERT")) {
      add("isolation.insert", table.name, CheckOutcome::Passed,
          "the app role has no INSERT privilege on the table");
      return;
    }
    std::optional<ProbeError> error;
    asApp(tx, tenantA, [&](pqxx::dbtransaction& probe) {
      error = attempt(probe, [&](pqxx::dbtransaction& statement) {
        statement.exec_params("INSERT INTO " + table.qname + " (" + joined(columns) + ")" +
                              (overriding ? " OVERRIDING SYSTEM VALUE" : "") + " SELECT " +
                              joined(columns) + " FROM " + copy);
      });
    });
    if (error && error->sqlstate == kInsufficientPrivilege) {
      add("isolation.insert", table.name, CheckOutcome::Passed,
          "with tenant " + tenantA +
              " set, inserting a row of another tenant is rejected: " + error->text);
    } else if (error) {
      add("isolation.insert", table.name, CheckOutcome::Failed,
          "with tenant " + tenantA +
              " set, inserting a row of another tenant was not stopped by row-level security "
              "but by: " +
              error->text + "; the INSERT policy needs WITH CHECK (" + qcolumn_ +
              " = the current tenant)");
    } else {
      add("isolation.insert", table.name, CheckOutcome::Failed,
          "with tenant " + tenantA +
              " set, the app role inserted a row of another tenant: the INSERT policy needs "
              "WITH CHECK (" +
              qcolumn_ + " = the current tenant); " + isolationHint(table));
    }
  }

  void probeUpdateMove(pqxx::dbtransaction& tx, const TableInfo& table, const std::string& tenantA,
                       const std::string& tenantB) {
    if (!appHasPrivilege(tx, table, "UPDATE")) {
      add("isolation.update-move", table.name, CheckOutcome::Passed,
          "the app role has no UPDATE privilege on the table");
      return;
    }
    auto own = findRow(tx, table, qcolumn_ + " = " + cast(1), tenantA);
    if (!own) {
      add("isolation.update-move", table.name, CheckOutcome::Warning,
          "no row of tenant " + tenantA + " left to probe");
      return;
    }
    std::size_t affected = 0;
    std::optional<ProbeError> error;
    asApp(tx, tenantA, [&](pqxx::dbtransaction& probe) {
      error = attempt(probe, [&](pqxx::dbtransaction& statement) {
        affected = statement
                       .exec_params("UPDATE " + table.qname + " SET " + qcolumn_ + " = " + cast(1) +
                                        " WHERE tableoid = $2::oid AND ctid = $3::tid",
                                    tenantB, own->tableoid, own->ctid)
                       .affected_rows();
      });
    });
    if (error && error->sqlstate == kInsufficientPrivilege) {
      add("isolation.update-move", table.name, CheckOutcome::Passed,
          "moving a row of tenant " + tenantA + " to another tenant is rejected: " + error->text);
    } else if (error) {
      add("isolation.update-move", table.name, CheckOutcome::Failed,
          "moving a row to another tenant was not stopped by row-level security but by: " +
              error->text + "; the UPDATE policy needs WITH CHECK (" + qcolumn_ +
              " = the current tenant)");
    } else if (affected == 0) {
      add("isolation.update-move", table.name, CheckOutcome::Warning,
          "the app role with tenant " + tenantA +
              " set cannot see the row of that tenant picked for the probe");
    } else {
      add("isolation.update-move", table.name, CheckOutcome::Failed,
          "with tenant " + tenantA +
              " set, the app role moved one of its rows to another tenant: the UPDATE policy "
              "needs WITH CHECK (" +
              qcolumn_ + " = the current tenant)");
    }
  }

  pqxx::connection& connection_;
  const api::MigrationSpec& spec_;
  const plan::Catalog& before_;
  const plan::Plan& plan_;
  const std::map<std::string, std::int64_t>& baselineCounts_;
  const bool strict_;

  const std::string schema_;
  const std::string column_;
  const std::string qcolumn_;
  const std::string idType_;
  const std::string setting_;
  const std::string appRole_;
  const std::string tenantsQname_;

  pqxx::work* tx_ = nullptr;  // the verification transaction, always rolled back
  VerifyReport report_;
  std::vector<TableInfo> tables_;
  std::string runner_;
  bool runnerSuperuser_ = false;
  bool appRoleExists_ = false;
  bool canAssumeApp_ = false;
  std::optional<std::string> tenantsIdColumn_;
  int savepoints_ = 0;
};

}  // namespace

VerifyReport verifyMigration(pqxx::connection& connection, const api::MigrationSpec& spec,
                             const plan::Catalog& before, const plan::Plan& plan,
                             const std::map<std::string, std::int64_t>& baselineCounts,
                             bool strict) {
  spdlog::info("verify: {} tenant tables in schema {}, {} mode", plan.decisions.size(),
               spec.database.schema, strict ? "strict" : "transition");
  return Verifier(connection, spec, before, plan, baselineCounts, strict).run();
}

}  // namespace tenantshift::engine
