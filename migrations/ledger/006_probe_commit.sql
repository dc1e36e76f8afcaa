-- The backfill throttle's commit probe: each latency probe ends with a durable commit of an
-- update of this one row, so that it waits for the WAL flush the application's commits wait for
-- (a rolled-back or read-only probe never does). Nothing else reads it.
CREATE TABLE IF NOT EXISTS tenantshift.probe_commit (
    name       text PRIMARY KEY CHECK (name = 'probe'),
    probed_at  timestamptz
);
INSERT INTO tenantshift.probe_commit (name) VALUES ('probe') ON CONFLICT DO NOTHING;
REVOKE ALL ON tenantshift.probe_commit FROM PUBLIC;
