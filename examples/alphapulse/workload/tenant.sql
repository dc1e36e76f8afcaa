-- The AlphaPulse application after the feature flag: every transaction sets its tenant first,
-- with a bind parameter and transaction scope (SET LOCAL semantics), then works on that
-- tenant's accounts only. Run after `tenantshift run` has completed (the tenant column exists).
--
--   pgbench -n -M extended -f workload/tenant.sql -c 4 -T 60 \
--     -D tenant=00000000-0000-0000-0000-000000000001 -D naccounts=4000 \
--     "postgresql://alphapulse_app:PASSWORD@127.0.0.1:PORT/alphapulse"
--
-- Needs -M extended or -M prepared: :tenant is then sent as a bind parameter (in simple mode
-- pgbench would paste it unquoted into the SQL). The tenant must own at least one account.
--
-- Self-check: the last statement divides by zero when a row of another tenant is visible,
-- which aborts the pgbench client and makes pgbench exit non-zero. It looks at the tenant's
-- account and at a random window of 500 ids of trades and orders (generate.sql makes 100
-- trades and 60 orders per account), so that a leaking policy is caught wherever the other
-- tenants' rows are.
\set r random(1, :naccounts)
\set qty random(1, 100000)
\set tprobe random(1, 100 * :naccounts)
\set oprobe random(1, 60 * :naccounts)
BEGIN;
SELECT set_config('app.current_tenant_id', :tenant, true);
-- One of this tenant's accounts (RLS hides the others): the first at or after a random id.
SELECT coalesce((SELECT id FROM trading_accounts WHERE id >= :r ORDER BY id LIMIT 1),
                (SELECT min(id) FROM trading_accounts)) AS aid \gset
SELECT user_id AS uid FROM trading_accounts WHERE id = :aid \gset
SELECT id, email, username FROM users WHERE id = :uid;
SELECT o.id, o.symbol, o.status, o.created_at
  FROM orders o JOIN trading_accounts a ON a.id = o.account_id
 WHERE a.user_id = :uid
 ORDER BY o.created_at DESC
 LIMIT 20;
SELECT count(*) AS trades, coalesce(sum(quantity * price), 0) AS notional
  FROM trades WHERE account_id = :aid;
INSERT INTO orders (account_id, client_order_id, symbol, side, quantity, limit_price)
  VALUES (:aid, 'tn-' || gen_random_uuid(), 'ETH-USD', 'sell', :qty / 100000.0, 2300.25);
INSERT INTO trades (account_id, user_id, symbol, side, quantity, price)
  VALUES (:aid, :uid, 'ETH-USD', 'sell', :qty / 100000.0, 2300.25);
UPDATE positions SET quantity = quantity + :qty / 100000.0, updated_at = now()
 WHERE account_id = :aid AND symbol = 'ETH-USD';
INSERT INTO audit_logs (user_id, action, entity, entity_id)
  VALUES (:uid, 'order.created', 'orders', :aid);
SELECT 1 / (CASE WHEN count(*) = 0 THEN 1 ELSE 0 END) AS isolated
  FROM (SELECT 1 FROM users WHERE tenant_id <> :tenant
        UNION ALL
        SELECT 1 FROM trades WHERE account_id = :aid AND tenant_id <> :tenant
        UNION ALL
        SELECT 1 FROM trades WHERE id BETWEEN :tprobe AND :tprobe + 500 AND tenant_id <> :tenant
        UNION ALL
        SELECT 1 FROM orders WHERE account_id = :aid AND tenant_id <> :tenant
        UNION ALL
        SELECT 1 FROM orders WHERE id BETWEEN :oprobe AND :oprobe + 500 AND tenant_id <> :tenant
       ) AS leaked;
END;
