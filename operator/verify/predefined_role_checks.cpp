#include "verify/predefined_role_checks.h"

#include <map>

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::verify {

using plan::quoteIdent;

namespace {

struct WhatItAllows {
  CheckOutcome outcome;
  const char* allows;
};

// What each predefined role lets its members do around the policies (PostgreSQL 15 to 17).
const std::map<std::string, WhatItAllows>& predefinedRoles() {
  static const std::map<std::string, WhatItAllows> roles = {
      {"pg_read_all_data",
       {CheckOutcome::Failed,
        "reads every table, view and sequence as if granted SELECT: the materialized views that "
        "hold every tenant's rows, the excluded tables and tenantshift's ledger (the policies "
        "still filter the tenant tables)"}},
      {"pg_write_all_data",
       {CheckOutcome::Failed,
        "writes every table as if granted INSERT, UPDATE and DELETE: the global tables and "
        "tenantshift's ledger"}},
      {"pg_read_server_files",
       {CheckOutcome::Failed,
        "reads any file the server can read (COPY FROM a file, pg_read_file): the data files "
        "hold every tenant's rows"}},
      {"pg_write_server_files",
       {CheckOutcome::Failed, "writes any file the server can write (COPY TO a file)"}},
      {"pg_execute_server_program",
       {CheckOutcome::Failed,
        "runs programs on the database server as its operating-system user (COPY ... PROGRAM): "
        "whatever the server can read, every tenant's rows"}},
      {"pg_read_all_stats",
       {CheckOutcome::Failed,
        "reads the SQL text of every session in pg_stat_activity (and pg_stat_statements), every "
        "role's, tenantshift's and the administrators' too, with the literals in it"}},
      {"pg_monitor",
       {CheckOutcome::Failed,
        "includes pg_read_all_stats: the SQL text of every session, every role's"}},
      {"pg_maintain",
       {CheckOutcome::Failed,
        "may LOCK any table (tenantshift's ledger too, stopping a rollback), REFRESH any "
        "materialized view, VACUUM, ANALYZE, CLUSTER and REINDEX"}},
      {"pg_database_owner",
       {CheckOutcome::Failed,
        "owns the database: it may ALTER DATABASE ... SET the defaults of every session "
        "(the tenant setting, search_path) and owns the schema public"}},
      {"pg_signal_backend",
       {CheckOutcome::Warning,
        "may cancel or end the sessions of other roles that are not superusers: tenantshift's "
        "when it does not run as a superuser"}},
      {"pg_read_all_settings",
       {CheckOutcome::Warning, "reads every setting, those only superusers may see too"}},
      {"pg_stat_scan_tables",
       {CheckOutcome::Warning,
        "runs monitoring functions that scan any table (pgstattuple, ...): all tenants' row "
        "counts and sizes"}},
  };
  return roles;
}

CheckResult judge(const std::string& app, const PredefinedRoleMembership& held) {
  const auto known = predefinedRoles().find(held.role);
  const CheckOutcome outcome =
      known == predefinedRoles().end() ? CheckOutcome::Warning : known->second.outcome;
  const std::string allows = known == predefinedRoles().end()
                                 ? "is a role PostgreSQL predefines, with rights beyond the "
                                   "application's grants"
                                 : known->second.allows;
  std::string detail = "the app role " + app + " is a member of " + held.role;
  if (!held.through.empty() && held.through != std::vector<std::string>{held.role}) {
    detail += " (through " + api::joined(held.through) + ")";
  }
  detail += ", which " + allows + ": ";
  if (held.through.empty()) {
    detail += "ALTER DATABASE ... OWNER TO a role the application does not use";
  } else {
    std::vector<std::string> revokes;
    for (const std::string& granted : held.through) {
      revokes.push_back("REVOKE " + quoteIdent(granted) + " FROM " + app);
    }
    detail += api::joined(revokes, "; ");
    if (held.through != std::vector<std::string>{held.role}) {
      detail += " (or revoke " + held.role + " from the role that leads there)";
    }
  }
  return result("role.predefined", held.role, outcome, detail);
}

}  // namespace

std::vector<CheckResult> checkPredefinedRoles(const std::string& appRole,
                                              const std::vector<PredefinedRoleMembership>& held) {
  if (held.empty()) {
    return {result("role.predefined", "", CheckOutcome::Passed,
                   "the app role is a member of no role PostgreSQL predefines (pg_read_all_data, "
                   "pg_read_all_stats, pg_monitor, ...)")};
  }
  std::vector<CheckResult> out;
  out.reserve(held.size());
  for (const PredefinedRoleMembership& membership : held) {
    out.push_back(judge(quoteIdent(appRole), membership));
  }
  return out;
}

}  // namespace tenantshift::verify
