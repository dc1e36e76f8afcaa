-- pgbench script: the application's tenant-scoped reads, as bench_app: an event by id with its
-- own tenant set, then a user's latest events with the user's tenant set. Users belong to
-- :ntenants tenants (the tenant of user u is ...-0000000010NN, NN = u % ntenants, as the
-- benchmark's org_id column says; an event's user is 1 + (id * 7919) % nusers, as
-- bench/backfill/generate.sql made it). Before the migration the setting is ignored; after
-- enforce the policies add the tenant condition to both.
--   pgbench -n -M prepared -f tenant_queries.sql -D nusers=N -D nevents=M -D ntenants=T ...
\set uid random(1, :nusers)
\set eid random(1, :nevents)
\set euid 1 + (:eid * 7919) % :nusers
\set etenant 1000 + :euid % :ntenants
\set utenant 1000 + :uid % :ntenants
BEGIN;
SELECT set_config('app.current_tenant_id',
                  '00000000-0000-0000-0000-' || lpad(:etenant::text, 12, '0'),
                  true);
SELECT id, user_id, kind, amount, created_at FROM events WHERE id = :eid;
END;
BEGIN;
SELECT set_config('app.current_tenant_id',
                  '00000000-0000-0000-0000-' || lpad(:utenant::text, 12, '0'),
                  true);
SELECT id, kind, amount FROM events WHERE user_id = :uid ORDER BY id DESC LIMIT 10;
END;
