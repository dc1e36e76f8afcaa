-- pgbench script: what the single-tenant application does, as bench_app with no tenant context:
-- reads an event and a user by id, inserts an event without tenant_id, updates an event by id.
--   pgbench -n -M prepared -f app.sql -D nusers=N -D nevents=M ...
\set uid random(1, :nusers)
\set eid random(1, :nevents)
BEGIN;
SELECT id, user_id, kind, amount, created_at FROM events WHERE id = :eid;
SELECT id, email, name FROM users WHERE id = :uid;
INSERT INTO events (user_id, kind, amount) VALUES (:uid, 'app', 1.50);
UPDATE events SET amount = amount + 1 WHERE id = :eid;
END;
