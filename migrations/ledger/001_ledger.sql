-- The tenantshift ledger: what each migration did to this database, so that any runner (the
-- CLI, or a Kubernetes Job started by the operator) can resume, report and roll back.
-- Applied in order by the engine; each file runs once (recorded in ledger_version).
CREATE SCHEMA IF NOT EXISTS tenantshift;

CREATE TABLE IF NOT EXISTS tenantshift.ledger_version (
    version     integer PRIMARY KEY,
    file        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tenantshift.migration (
    name              text PRIMARY KEY,          -- metadata.name of the TenantMigration
    spec_hash         text NOT NULL,
    spec              jsonb NOT NULL,
    catalog           jsonb NOT NULL,            -- schema snapshot taken before the first step
    baseline_counts   jsonb NOT NULL DEFAULT '{}',  -- row count per table before the first step
    created_tenants_table boolean NOT NULL DEFAULT false,
    started_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tenantshift.step (
    migration    text NOT NULL REFERENCES tenantshift.migration (name) ON DELETE CASCADE,
    step_id      text NOT NULL,
    phase        text NOT NULL,
    ordinal      integer NOT NULL,
    checksum     text NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'failed', 'rolled_back')),
    rows         bigint NOT NULL DEFAULT 0,
    attempts     integer NOT NULL DEFAULT 0,
    started_at   timestamptz,
    finished_at  timestamptz,
    duration_ms  bigint,
    error        text,
    report       jsonb,
    PRIMARY KEY (migration, step_id)
);

CREATE TABLE IF NOT EXISTS tenantshift.backfill_cursor (
    migration    text NOT NULL REFERENCES tenantshift.migration (name) ON DELETE CASCADE,
    table_name   text NOT NULL,
    last_key     text[],                          -- NULL: not started
    rows_done    bigint NOT NULL DEFAULT 0,
    finished     boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (migration, table_name)
);
