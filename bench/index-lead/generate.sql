-- :rows orders, one every 30 seconds from 2024-01-01, interleaved across 20 stores with a skew
-- like real tenants (store k holds ln((k+1)/k) / ln 21 of them: store 1 about 23%, store 20 1.6%).
--   psql -v rows=1000000 -f generate.sql
SELECT setseed(0.42);
INSERT INTO orders (store_id, customer_email, created_at, amount, status)
SELECT s.store, 'customer' || (g % 5000) || '@store' || s.store || '.example',
       timestamptz '2024-01-01 00:00:00+00' + g * interval '30 seconds',
       round((random() * 200)::numeric, 2),
       (ARRAY['paid', 'shipped', 'returned'])[1 + g % 3]
  FROM generate_series(1, :rows) g,
       LATERAL (SELECT least(20, greatest(1, ceil(exp(random() * ln(21)) - 1)))::bigint
                       + (g * 0) AS store) s;
ANALYZE orders;
