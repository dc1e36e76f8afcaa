-- Fills the AlphaPulse schema (schema.sql) with deterministic, realistic data.
--
--   psql -v ON_ERROR_STOP=1 [-v scale=1] -d alphapulse -f generate.sql
--
-- scale 1 (the default) is 1,000,000 rows in all; rows grow linearly with scale (0.01 gives
-- 10,000 rows for quick tests). Every run replaces the data with the same rows: ids restart at
-- 1, values come from the row numbers and a seeded random(), timestamps from a fixed epoch.
--
-- Rows per table at scale 1, and the ranges pgbench workloads draw ids from:
--   users                2,000   ids 1..nusers
--   trading_accounts     4,000   2 per user; account a belongs to user (a + 1) / 2
--   orders             240,000   60 per account; order o belongs to account 1 + (o - 1) % naccounts
--   trades             400,000   100 per account; 85% reference one of their account's orders
--   positions           40,000   10 symbols per account
--   portfolio_snapshots 120,000  30 daily snapshots per account
--   risk_metrics        80,000   20 per account
--   agent_signals      100,000   50 per user, uuid ids
--   audit_logs          14,000   7 per user, 10% of them system events (user_id NULL)
-- plus feature_flags (1) and alembic_version (1), which schema.sql fills.

\if :{?scale}
\else
\set scale 1
\endif

\set QUIET on
SELECT greatest(1, round(2000 * :scale))::int AS nusers \gset
SELECT 2 * :nusers AS naccounts \gset

BEGIN;

-- The rows are consistent by construction (every reference below points at a row inserted
-- before it), so a superuser skips the per-row foreign-key triggers, which would take most of
-- the time; the checks after the inserts prove the references instead. A non-superuser owner
-- runs the triggers.
SELECT current_setting('is_superuser') = 'on' AS is_superuser \gset
\if :is_superuser
SET LOCAL session_replication_role = replica;
\endif

TRUNCATE users, trading_accounts, orders, trades, positions, portfolio_snapshots, risk_metrics,
         agent_signals, audit_logs RESTART IDENTITY;

-- Deterministic random() for this session: same seed, same statements, same rows.
SELECT setseed(0.20240101) AS seeded \gset

INSERT INTO users (email, username, full_name, is_active, created_at, updated_at)
SELECT 'trader' || g || '@alphapulse.example',
       'trader_' || g,
       (ARRAY['Ada', 'Grace', 'Linus', 'Barbara', 'Ken', 'Radia', 'Edsger', 'Frances'])[1 + g % 8]
         || ' ' ||
       (ARRAY['Lovelace', 'Hopper', 'Torvalds', 'Liskov', 'Thompson', 'Perlman', 'Dijkstra',
              'Allen', 'Knuth', 'Ritchie'])[1 + (g / 8) % 10],
       random() > 0.03,
       timestamptz '2023-01-01 00:00:00+00' + g * interval '37 minutes',
       timestamptz '2023-06-01 00:00:00+00' + g * interval '41 minutes'
  FROM generate_series(1, :nusers) AS g;

INSERT INTO trading_accounts (user_id, exchange, account_number, base_currency, balance, status,
                              created_at)
SELECT (a + 1) / 2,
       (ARRAY['binance', 'coinbase', 'kraken', 'interactive_brokers'])[1 + a % 4],
       'AP-' || lpad(a::text, 9, '0'),
       (ARRAY['USD', 'USD', 'EUR', 'GBP'])[1 + (a / 4) % 4],
       round((random() * 250000)::numeric, 8),
       CASE WHEN random() < 0.05 THEN 'suspended' ELSE 'active' END,
       timestamptz '2023-01-02 00:00:00+00' + a * interval '19 minutes'
  FROM generate_series(1, :naccounts) AS a;

-- Order o belongs to account 1 + (o - 1) % naccounts: every account gets 60 orders.
INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity, limit_price,
                    status, created_at, updated_at)
SELECT 1 + (o - 1) % :naccounts,
       'cl-' || lpad(o::text, 10, '0'),
       (ARRAY['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'EUR-USD',
              'XAU-USD', 'SPY', 'QQQ'])[1 + (o * 7) % 12],
       CASE WHEN random() < 0.52 THEN 'buy' ELSE 'sell' END,
       CASE WHEN random() < 0.7 THEN 'limit' ELSE 'market' END,
       round((0.001 + random() * 50)::numeric, 8),
       round((10 + random() * 60000)::numeric, 8),
       (ARRAY['filled', 'filled', 'filled', 'cancelled', 'new', 'partially_filled'])[1 + o % 6],
       timestamptz '2024-01-01 00:00:00+00' + o * interval '61 seconds',
       timestamptz '2024-01-01 00:00:00+00' + o * interval '61 seconds' + interval '3 seconds'
  FROM generate_series(1, 60 * :naccounts) AS o;

-- Trade t belongs to account a = 1 + (t - 1) % naccounts (and so to user (a + 1) / 2); 85% of
-- trades fill one of that account's orders, the rest are fills imported without an order.
INSERT INTO trades (account_id, user_id, order_id, symbol, side, quantity, price, fee,
                    executed_at)
SELECT x.a,
       (x.a + 1) / 2,
       CASE WHEN random() < 0.85 THEN x.a + ((t - 1) / :naccounts % 60) * :naccounts END,
       (ARRAY['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'EUR-USD',
              'XAU-USD', 'SPY', 'QQQ'])[1 + (t * 5) % 12],
       CASE WHEN random() < 0.5 THEN 'buy' ELSE 'sell' END,
       round((0.001 + random() * 20)::numeric, 8),
       round((10 + random() * 60000)::numeric, 8),
       round((random() * 15)::numeric, 8),
       timestamptz '2024-01-01 00:00:00+00' + t * interval '47 seconds'
  FROM generate_series(1, 100 * :naccounts) AS t
 CROSS JOIN LATERAL (SELECT 1 + (t - 1) % :naccounts AS a) AS x;

-- Ten distinct symbols per account (positions_account_id_symbol_key).
INSERT INTO positions (account_id, symbol, quantity, average_price, unrealized_pnl, updated_at)
SELECT 1 + (p - 1) % :naccounts,
       (ARRAY['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'EUR-USD',
              'XAU-USD'])[1 + (p - 1) / :naccounts],
       CASE WHEN random() < 0.2 THEN 0 ELSE round((random() * 100)::numeric, 8) END,
       round((10 + random() * 60000)::numeric, 8),
       round(((random() - 0.45) * 20000)::numeric, 8),
       timestamptz '2024-06-01 00:00:00+00' + p * interval '13 seconds'
  FROM generate_series(1, 10 * :naccounts) AS p;

-- Thirty consecutive days per account (portfolio_snapshots_account_id_snapshot_date_key).
INSERT INTO portfolio_snapshots (account_id, snapshot_date, total_value, cash, pnl_day)
SELECT 1 + (s - 1) % :naccounts,
       date '2024-06-01' + (s - 1) / :naccounts,
       round((1000 + random() * 500000)::numeric, 2),
       round((random() * 100000)::numeric, 2),
       round(((random() - 0.48) * 8000)::numeric, 2)
  FROM generate_series(1, 30 * :naccounts) AS s;

INSERT INTO risk_metrics (account_id, metric, value, computed_at)
SELECT 1 + (r - 1) % :naccounts,
       (ARRAY['var_95', 'sharpe_ratio', 'max_drawdown', 'beta', 'volatility'])[1 + r % 5],
       random() * 3,
       timestamptz '2024-06-01 00:00:00+00' + r * interval '29 seconds'
  FROM generate_series(1, 20 * :naccounts) AS r;

-- uuid ids derived from the row number, so that they too are the same on every run.
INSERT INTO agent_signals (id, user_id, agent, symbol, direction, confidence, payload, created_at)
SELECT md5('alphapulse-signal-' || g)::uuid,
       1 + (g - 1) % :nusers,
       (ARRAY['technical', 'sentiment', 'fundamental', 'momentum', 'mean_reversion'])[1 + g % 5],
       (ARRAY['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'EUR-USD',
              'XAU-USD', 'SPY', 'QQQ'])[1 + (g * 11) % 12],
       (ARRAY['long', 'short', 'flat'])[1 + g % 3],
       round(random()::numeric, 4)::real,
       jsonb_build_object('horizon', (ARRAY['1h', '4h', '1d'])[1 + g % 3],
                          'score', round((random() * 2 - 1)::numeric, 4),
                          'model', 'ap-agent-v' || (1 + g % 4)),
       timestamptz '2024-03-01 00:00:00+00' + g * interval '23 seconds'
  FROM generate_series(1, 50 * :nusers) AS g;

INSERT INTO audit_logs (user_id, action, entity, entity_id, details, ip_address, created_at)
SELECT CASE WHEN l % 10 = 0 THEN NULL ELSE 1 + (l - 1) % :nusers END,
       (ARRAY['user.login', 'order.created', 'order.cancelled', 'account.updated',
              'api_key.rotated', 'system.rebalance'])[1 + l % 6],
       (ARRAY['users', 'orders', 'orders', 'trading_accounts', 'users', NULL])[1 + l % 6],
       CASE WHEN l % 6 <> 5 THEN (1 + (l * 13) % 1000)::text END,
       jsonb_build_object('source', CASE WHEN l % 10 = 0 THEN 'scheduler' ELSE 'api' END),
       ('10.' || (l / 65536) % 256 || '.' || (l / 256) % 256 || '.' || l % 256)::inet,
       timestamptz '2024-01-01 00:00:00+00' + l * interval '7 minutes'
  FROM generate_series(1, 7 * :nusers) AS l;

\if :is_superuser
SET LOCAL session_replication_role = origin;
-- The foreign keys the triggers did not check: any orphan aborts the transaction.
SELECT 1 / (CASE WHEN count(*) = 0 THEN 1 ELSE 0 END) AS no_orphans
  FROM (SELECT 1 FROM trading_accounts c LEFT JOIN users p ON p.id = c.user_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM orders c LEFT JOIN trading_accounts p ON p.id = c.account_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM trades c LEFT JOIN trading_accounts p ON p.id = c.account_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM trades c LEFT JOIN users p ON p.id = c.user_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM trades c LEFT JOIN orders p ON p.id = c.order_id
         WHERE c.order_id IS NOT NULL AND p.id IS NULL
        UNION ALL
        SELECT 1 FROM trades c JOIN orders p ON p.id = c.order_id
         WHERE p.account_id <> c.account_id
        UNION ALL
        SELECT 1 FROM positions c LEFT JOIN trading_accounts p ON p.id = c.account_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM portfolio_snapshots c LEFT JOIN trading_accounts p ON p.id = c.account_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM risk_metrics c LEFT JOIN trading_accounts p ON p.id = c.account_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM agent_signals c LEFT JOIN users p ON p.id = c.user_id
         WHERE p.id IS NULL
        UNION ALL
        SELECT 1 FROM audit_logs c LEFT JOIN users p ON p.id = c.user_id
         WHERE c.user_id IS NOT NULL AND p.id IS NULL) AS orphans \gset
\endif

COMMIT;

-- Fresh statistics, so that plans (and tenantshift's row estimates) see the real sizes.
ANALYZE users, trading_accounts, orders, trades, positions, portfolio_snapshots, risk_metrics,
        agent_signals, audit_logs;

\set QUIET off
SELECT "table", "rows" FROM (
  SELECT 1 AS n, 'users' AS "table", count(*) AS "rows" FROM users
  UNION ALL SELECT 2, 'trading_accounts', count(*) FROM trading_accounts
  UNION ALL SELECT 3, 'orders', count(*) FROM orders
  UNION ALL SELECT 4, 'trades', count(*) FROM trades
  UNION ALL SELECT 5, 'positions', count(*) FROM positions
  UNION ALL SELECT 6, 'portfolio_snapshots', count(*) FROM portfolio_snapshots
  UNION ALL SELECT 7, 'risk_metrics', count(*) FROM risk_metrics
  UNION ALL SELECT 8, 'agent_signals', count(*) FROM agent_signals
  UNION ALL SELECT 9, 'audit_logs', count(*) FROM audit_logs
) AS counts ORDER BY n;
