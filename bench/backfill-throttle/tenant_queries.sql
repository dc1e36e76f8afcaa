-- pgbench script: the application's tenant-scoped reads, as bench_app with its tenant set: an
-- event by id and a user's latest events. Before the migration the setting is ignored; after
-- enforce the policies add the tenant condition to both.
--   pgbench -n -M prepared -f tenant_queries.sql -D nusers=N -D nevents=M ...
\set uid random(1, :nusers)
\set eid random(1, :nevents)
BEGIN;
SELECT set_config('app.current_tenant_id', '00000000-0000-0000-0000-000000000001', true);
SELECT id, user_id, kind, amount, created_at FROM events WHERE id = :eid;
SELECT id, kind, amount FROM events WHERE user_id = :uid ORDER BY id DESC LIMIT 10;
END;
