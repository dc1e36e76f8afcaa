-- pgbench: a store's 20 latest orders, as the converted application asks for them (the tenant
-- set per transaction; the policies add tenant_id = <the setting>).
\set store random(1, 20)
BEGIN;
SELECT set_config('app.current_store_id', :store, true);
SELECT order_id, amount, status FROM orders ORDER BY created_at DESC LIMIT 20;
END;
