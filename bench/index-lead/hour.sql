-- pgbench: a store's orders of one hour (about 120 orders of all stores in each hour).
\set store random(1, 20)
\set hour random(0, 8000)
BEGIN;
SELECT set_config('app.current_store_id', :store, true);
SELECT count(*), sum(amount) FROM orders
 WHERE created_at >= timestamptz '2024-01-01 00:00:00+00' + :hour * interval '1 hour'
   AND created_at < timestamptz '2024-01-01 01:00:00+00' + :hour * interval '1 hour';
END;
