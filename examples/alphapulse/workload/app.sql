-- Today's AlphaPulse application, for pgbench: connected as alphapulse_app, no tenant context,
-- reads by id, a small join, inserts that do not mention tenant_id, an update of a position.
-- Run it before, during and after the conversion: it must never fail until `enforce`.
--
--   pgbench -n -M prepared -f workload/app.sql -c 4 -T 60 \
--     -D nusers=2000 -D naccounts=4000 -D norders=240000 -D npositions=40000 \
--     "postgresql://alphapulse_app:PASSWORD@127.0.0.1:PORT/alphapulse"
--
-- The ranges are generate.sql's at scale 1 (multiply by the scale used): ids drawn from them
-- exist. Works with every -M mode (simple, extended, prepared).
\set aid random(1, :naccounts)
\set uid (:aid + 1) / 2
\set oid random(1, :norders)
\set pid random(1, :npositions)
\set qty random(1, 100000)
BEGIN;
SELECT id, email, username, is_active FROM users WHERE id = :uid;
SELECT a.id, a.exchange, a.balance, count(p.id) AS positions
  FROM trading_accounts a LEFT JOIN positions p ON p.account_id = a.id
 WHERE a.id = :aid
 GROUP BY a.id;
SELECT o.id, o.symbol, o.side, o.status, t.price
  FROM orders o LEFT JOIN trades t ON t.order_id = o.id
 WHERE o.id = :oid;
INSERT INTO orders (account_id, client_order_id, symbol, side, quantity, limit_price)
  VALUES (:aid, 'wl-' || gen_random_uuid(), 'BTC-USD', 'buy', :qty / 100000.0, 43000.5);
INSERT INTO trades (account_id, user_id, order_id, symbol, side, quantity, price, fee)
  VALUES (:aid, :uid, NULL, 'BTC-USD', 'buy', :qty / 100000.0, 43000.5, 0.25);
UPDATE positions SET quantity = quantity + :qty / 100000.0, updated_at = now() WHERE id = :pid;
INSERT INTO audit_logs (user_id, action, entity, entity_id, details)
  VALUES (:uid, 'order.created', 'orders', :aid, '{"source": "pgbench"}');
END;
