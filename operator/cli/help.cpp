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
  phase      run one phase only (what the operator's Job for that phase runs)
  verify     prove tenant isolation as the application's role; changes nothing
  status     show what the ledger recorded for this migration
  rollback   undo: --scenario flag-off | disable-rls | full

Common options:
  -f, --file PATH        the TenantMigration manifest (the same file kubectl applies)
  --database-url URL     PostgreSQL URL of the target database; instead, set
                         TENANTSHIFT_DATABASE_URL (or DATABASE_URL) so that the password stays out
                         of the process list. Passwords are never printed.
  -o, --output FORMAT    text (default) or json
  --termination-message-path PATH
                         write how the command ended to PATH as one JSON object (at most 4096
                         bytes, never the database URL): outcome, exitCode, message, planHash,
                         step counts (Kubernetes: /dev/termination-log)
  --kubeconfig PATH, --context NAME
                         the cluster of a feature flag in a ConfigMap or a Deployment
                         (spec.featureFlag.configMap/deployment); default: $KUBECONFIG, the
                         pod's service account, ~/.kube/config, and its current context
  --log-level LEVEL      trace, debug, info, warn, error or off (default: info; warn on a terminal)
  -h, --help             help for a command: tenantshift <command> --help
  -V, --version          print the version

Exit status (and the outcome a termination message names):
  0 completed              done, or nothing was left to do
  1 failed                 the operation failed: the message says why and what to do
  2 invalid-input          bad command line or manifest; nothing was changed
  3 paused                 stopped by SIGTERM/SIGINT at a safe point; run it again to resume
  4 lock-held              another runner is working on the database
  5 prerequisites-missing  `phase`: an earlier phase is not done
  6 plan-drift             the plan changed under a half-done migration
  7 verify-failed          the isolation verification failed
  8 data-loss-refused      `rollback --scenario full` would lose tenant assignments
  9 database-unreachable   the database could not be reached, or the connection kept breaking
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
the target database) and a second runner is refused while one is working (exit status 4).
SIGTERM or SIGINT stops it at the next step or backfill batch (exit status 3); a second signal
ends it at once.

  --until PHASE            stop after PHASE (schema, backfill, constraints, rls, verify or flag)
  --expect-plan-hash HASH  run only the plan whose hash is HASH; refuse otherwise (exit status 6)
)";

constexpr const char* kPhase =
    R"(Usage: tenantshift phase PHASE -f migration.yaml [--database-url URL] [-o json]
                         [--termination-message-path PATH] [--expect-plan-hash HASH]

Runs the steps of one phase (schema, backfill, constraints, rls, verify or flag) and nothing
else: what the operator's Kubernetes Job for that phase runs. Refused with exit status 5
(prerequisites-missing) while an earlier phase is not done, naming it and the command that does
it. A phase that is done already is a success that changes nothing. The flag phase ends with a
strict verification, as `run` does.

SIGTERM or SIGINT stops it at the next step or backfill batch, the ledger consistent: exit status
3 (paused); run the phase again to resume where it stopped. A second signal ends it at once.

  -o json                          print the summary (the termination message's JSON) instead
  --termination-message-path PATH  also write the summary to PATH (at most 4096 bytes)
  --expect-plan-hash HASH          run only the plan whose hash is HASH (the approved one); when
                                   the plan differs, refuse with exit status 6 (plan-drift) and
                                   change nothing
)";

constexpr const char* kVerify =
    R"(Usage: tenantshift verify -f migration.yaml [--database-url URL] [-o json]

Proves isolation as the application's role (spec.database.appRole) for every tenant table, inside
a transaction that is rolled back: no row of another tenant is visible, insertable, updatable or
deletable; no error without a tenant; RLS enabled and forced; no NULL tenant ids or orphans;
unique constraints include the tenant column; tenant-filtered queries use an index.
Exit status 7 (verify-failed) when a check fails.
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
  if (command == "phase") {
    return kPhase;
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
