-- The runner lock: one row that a runner (the CLI, or an operator Job) takes before it changes
-- anything, so that two runners never act on one database at once. It replaces a session
-- advisory lock, whose fixed key the application role could have taken (advisory locks are open
-- to every role and visible in pg_locks) to stop `run` and even an emergency `rollback`.
-- A holder is alive while its lock connection is (the backend of holder_pid, started at
-- holder_backend_start, still exists): a killed runner's lock is taken over at once, and no
-- transaction is held open for the whole run.
CREATE TABLE IF NOT EXISTS tenantshift.runner_lock (
    name                  text PRIMARY KEY CHECK (name = 'runner'),
    runner_id             text,
    holder_pid            integer,
    holder_backend_start  timestamptz,
    migration             text,
    command               text,
    acquired_at           timestamptz,
    heartbeat_at          timestamptz
);
INSERT INTO tenantshift.runner_lock (name) VALUES ('runner') ON CONFLICT DO NOTHING;

-- Which runner marked a step running: a step left `running` by a runner that is gone is
-- distinguishable from one running now. The schema fingerprint the verify step's report holds
-- for, so that a later run re-verifies when the schema changed in between.
ALTER TABLE tenantshift.step ADD COLUMN IF NOT EXISTS runner_id text;
ALTER TABLE tenantshift.step ADD COLUMN IF NOT EXISTS verified_fingerprint text;

-- Nothing of the ledger is the application's: not the schema, its tables nor its sequences.
REVOKE ALL ON SCHEMA tenantshift FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA tenantshift FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA tenantshift FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tenantshift FROM PUBLIC;
