#include "cli/help.h"

namespace tenantshift::cli {

namespace {

constexpr const char* kGeneral =
    R"(tenantshift: convert a single-tenant PostgreSQL database into a multi-tenant one with
row-level security, phase by phase, without downtime; verify it; roll it back.

Usage: tenantshift <command> -f migration.yaml [--database-url URL] [options]

Commands:
  plan       show the ordered steps per phase (SQL, lock level, data-loss risk); changes nothing
  run        run the steps not yet done: schema, backfill, constraints, rls, verify, flag
  verify     prove tenant isolation as the application's role; changes nothing
  status     show what the ledger recorded for this migration
  rollback   undo: --scenario flag-off | disable-rls | full

Common options:
  -f, --file PATH        the TenantMigration manifest (the same file kubectl applies)
  --database-url URL     PostgreSQL URL of the target database; instead, set
                         TENANTSHIFT_DATABASE_URL (or DATABASE_URL) so that the password stays out
                         of the process list. Passwords are never printed.
  -o, --output FORMAT    text (default) or json
  --log-level LEVEL      trace, debug, info, warn, error or off (default: info; warn on a terminal)
  -h, --help             help for a command: tenantshift <command> --help
  -V, --version          print the version

Exit status: 0 done, 1 the operation failed (see the message), 2 bad command line or manifest.
)";

constexpr const char* kPlan =
    R"(Usage: tenantshift plan -f migration.yaml [--database-url URL] [-o json]

Reads the schema (or, once the migration has started, the snapshot recorded in its ledger) and
prints the plan: where each table's tenant comes from and why, then every step per phase with its
SQL, the table lock it takes and the data-loss risk of running it and of undoing it.
Changes nothing in the database.
)";

constexpr const char* kRun =
    R"(Usage: tenantshift run -f migration.yaml [--database-url URL] [--until PHASE]

Runs every step not yet done, in order: schema, backfill, constraints, rls, verify, flag.
Safe to interrupt and to run again: progress is recorded in the ledger (schema "tenantshift" of
the target database) and a second runner is refused while one is working.

  --until PHASE   stop after PHASE (schema, backfill, constraints, rls, verify or flag)
)";

constexpr const char* kVerify =
    R"(Usage: tenantshift verify -f migration.yaml [--database-url URL] [-o json]

Proves isolation as the application's role (spec.database.appRole) for every tenant table, inside
a transaction that is rolled back: no row of another tenant is visible, insertable, updatable or
deletable; no error without a tenant; RLS enabled and forced; no NULL tenant ids or orphans;
unique constraints include the tenant column; tenant-filtered queries use an index.
Exit status 1 when a check fails.
)";

constexpr const char* kStatus =
    R"(Usage: tenantshift status -f migration.yaml [--database-url URL] [-o json]

Prints what the ledger recorded for this migration: spec hash, each step's state, rows, attempts,
timings and error, and the backfill cursors. Changes nothing.
)";

constexpr const char* kRollback =
    R"(Usage: tenantshift rollback -f migration.yaml --scenario SCENARIO [--allow-data-loss]

Runs the down steps of the done steps in reverse order:
  flag-off      relax enforcement and turn the feature flag off
  disable-rls   flag-off, then drop the policies and disable row-level security
  full          disable-rls, then undo constraints, indexes, triggers, the tenant columns and
                the tenants table it created. Refused when rows hold tenant assignments the
                migration could not reproduce (data written since it began) unless
                --allow-data-loss is given.
)";

}  // namespace

std::string helpText(const std::string& command) {
  if (command == "plan") {
    return kPlan;
  }
  if (command == "run") {
    return kRun;
  }
  if (command == "verify") {
    return kVerify;
  }
  if (command == "status") {
    return kStatus;
  }
  if (command == "rollback") {
    return kRollback;
  }
  return kGeneral;
}

}  // namespace tenantshift::cli
