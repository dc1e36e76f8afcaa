-- AlphaPulse: the trading application of the EPIC-001 migration runbook, as it is today:
-- single-tenant, no tenant_id anywhere. tenantshift converts it to multi-tenant with RLS.
--
-- Run as the owner of the schema (the demo uses the superuser `postgres`):
--   psql -v ON_ERROR_STOP=1 [-v app_password=secret] -d alphapulse -f schema.sql
-- Idempotent: running it again changes nothing (and keeps the app role's password in sync).

\if :{?app_password}
\else
\set app_password alphapulse-demo
\endif
-- A re-run's "already exists, skipping" notices are expected: keep them out of the output.
SET client_min_messages = warning;

-- The application's login role: NOT the owner of the tables, not superuser, not BYPASSRLS, so
-- that row-level security applies to it once enabled. Created in a DO block so that a re-run
-- (or a cluster where it exists already) does not fail; the password comes in through a
-- session setting because psql variables are not expanded inside a dollar-quoted block.
SELECT set_config('alphapulse.app_password', :'app_password', false) AS app_password_set \gset
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'alphapulse_app') THEN
    EXECUTE format('CREATE ROLE alphapulse_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L',
                   current_setting('alphapulse.app_password'));
  ELSE
    EXECUTE format('ALTER ROLE alphapulse_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L',
                   current_setting('alphapulse.app_password'));
  END IF;
END
$$;
RESET alphapulse.app_password;

CREATE TABLE IF NOT EXISTS users (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       varchar(255) NOT NULL,
  username    varchar(64)  NOT NULL,
  full_name   varchar(255),
  is_active   boolean      NOT NULL DEFAULT true,
  created_at  timestamptz  NOT NULL DEFAULT now(),
  updated_at  timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_username_key UNIQUE (username)
);

CREATE TABLE IF NOT EXISTS trading_accounts (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id         bigint       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  exchange        varchar(32)  NOT NULL,
  account_number  varchar(64)  NOT NULL,
  base_currency   char(3)      NOT NULL DEFAULT 'USD',
  balance         numeric(20, 8) NOT NULL DEFAULT 0,
  status          varchar(16)  NOT NULL DEFAULT 'active',
  created_at      timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT trading_accounts_exchange_account_number_key UNIQUE (exchange, account_number)
);
CREATE INDEX IF NOT EXISTS trading_accounts_user_id_idx ON trading_accounts (user_id);

CREATE TABLE IF NOT EXISTS orders (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id       bigint       NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
  client_order_id  varchar(64)  NOT NULL,
  symbol           varchar(20)  NOT NULL,
  side             varchar(4)   NOT NULL CHECK (side IN ('buy', 'sell')),
  order_type       varchar(10)  NOT NULL DEFAULT 'limit',
  quantity         numeric(20, 8) NOT NULL CHECK (quantity > 0),
  limit_price      numeric(20, 8),
  status           varchar(16)  NOT NULL DEFAULT 'new',
  created_at       timestamptz  NOT NULL DEFAULT now(),
  updated_at       timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT orders_client_order_id_key UNIQUE (client_order_id)
);
CREATE INDEX IF NOT EXISTS orders_account_created_idx ON orders (account_id, created_at DESC);

CREATE TABLE IF NOT EXISTS trades (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id   bigint       NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
  user_id      bigint       NOT NULL REFERENCES users (id),
  order_id     bigint       REFERENCES orders (id),  -- NULL for fills imported from the exchange
  symbol       varchar(20)  NOT NULL,
  side         varchar(4)   NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity     numeric(20, 8) NOT NULL,
  price        numeric(20, 8) NOT NULL,
  fee          numeric(20, 8) NOT NULL DEFAULT 0,
  executed_at  timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS trades_account_executed_idx ON trades (account_id, executed_at DESC);
CREATE INDEX IF NOT EXISTS trades_symbol_idx ON trades (symbol);
CREATE INDEX IF NOT EXISTS trades_order_id_idx ON trades (order_id);

CREATE TABLE IF NOT EXISTS positions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id      bigint       NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
  symbol          varchar(20)  NOT NULL,
  quantity        numeric(20, 8) NOT NULL DEFAULT 0,
  average_price   numeric(20, 8) NOT NULL DEFAULT 0,
  unrealized_pnl  numeric(20, 8) NOT NULL DEFAULT 0,
  updated_at      timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT positions_account_id_symbol_key UNIQUE (account_id, symbol)
);

CREATE TABLE IF NOT EXISTS portfolio_snapshots (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id     bigint       NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
  snapshot_date  date         NOT NULL,
  total_value    numeric(20, 2) NOT NULL,
  cash           numeric(20, 2) NOT NULL,
  pnl_day        numeric(20, 2) NOT NULL DEFAULT 0,
  CONSTRAINT portfolio_snapshots_account_id_snapshot_date_key UNIQUE (account_id, snapshot_date)
);

CREATE TABLE IF NOT EXISTS risk_metrics (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id   bigint           NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
  metric       varchar(32)      NOT NULL,
  value        double precision NOT NULL,
  computed_at  timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS risk_metrics_account_metric_idx
  ON risk_metrics (account_id, metric, computed_at DESC);

CREATE TABLE IF NOT EXISTS agent_signals (
  id          uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     bigint       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  agent       varchar(32)  NOT NULL,
  symbol      varchar(20)  NOT NULL,
  direction   varchar(8)   NOT NULL CHECK (direction IN ('long', 'short', 'flat')),
  confidence  real         NOT NULL,
  payload     jsonb        NOT NULL DEFAULT '{}',
  created_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit_logs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint       REFERENCES users (id) ON DELETE SET NULL,  -- NULL: system events
  action      varchar(64)  NOT NULL,
  entity      varchar(64),
  entity_id   text,
  details     jsonb,
  ip_address  inet,
  created_at  timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_logs_created_at_idx ON audit_logs (created_at);

-- Global configuration, not tenant data: migration.yaml excludes it.
CREATE TABLE IF NOT EXISTS feature_flags (
  name        varchar(64)  PRIMARY KEY,
  enabled     boolean      NOT NULL DEFAULT false,
  updated_at  timestamptz  NOT NULL DEFAULT now()
);
INSERT INTO feature_flags (name, enabled) VALUES ('rls', false) ON CONFLICT (name) DO NOTHING;

-- Alembic's bookkeeping, as the application's migrations left it.
CREATE TABLE IF NOT EXISTS alembic_version (
  version_num varchar(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('c3f1a9d27b54') ON CONFLICT DO NOTHING;

-- The dashboard's account overview. security_invoker (PostgreSQL 15) makes it read the tables
-- with the permissions and row-level security of the caller, not of its owner, so it stays
-- correct once RLS is on.
CREATE OR REPLACE VIEW account_summaries WITH (security_invoker = true) AS
  SELECT a.id AS account_id,
         a.user_id,
         u.username,
         a.exchange,
         a.balance,
         count(p.id) FILTER (WHERE p.quantity <> 0) AS open_positions
    FROM trading_accounts a
    JOIN users u ON u.id = a.user_id
    LEFT JOIN positions p ON p.account_id = a.id
   GROUP BY a.id, u.username;

GRANT USAGE ON SCHEMA public TO alphapulse_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO alphapulse_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO alphapulse_app;
-- The global tables are read by the application and written only by its deployments (feature
-- flags) and its migration tool (alembic_version): a tenant's session must not change them for
-- every tenant.
REVOKE INSERT, UPDATE, DELETE ON alembic_version, feature_flags FROM alphapulse_app;
-- The application stores no large objects; PostgreSQL lets every role create them, and they are
-- outside row-level security (one tenant's session could read another's).
REVOKE EXECUTE ON FUNCTION lo_creat(integer), lo_create(oid), lo_from_bytea(oid, bytea),
  lo_import(text), lo_import(text, oid) FROM PUBLIC;
