-- Backfill progress per table, written with every batch (in the batch's transaction) and when
-- the throttle changes state: what `tenantshift status` shows and the operator publishes.
CREATE TABLE IF NOT EXISTS tenantshift.backfill_progress (
    migration        text NOT NULL REFERENCES tenantshift.migration (name) ON DELETE CASCADE,
    table_name       text NOT NULL,
    rows_done        bigint NOT NULL DEFAULT 0,   -- tenant ids filled
    rows_scanned     bigint NOT NULL DEFAULT 0,   -- keys the keyset pass has covered
    rows_total_estimate bigint NOT NULL DEFAULT 0, -- the table's rows (planner estimate)
    rows_per_second  double precision NOT NULL DEFAULT 0,  -- keys per second, last 30 s
    eta_seconds      bigint,                      -- NULL: unknown
    batch_size       integer NOT NULL DEFAULT 0,  -- of the next batch; 0 while paused
    pause_ms         bigint NOT NULL DEFAULT 0,   -- before the next batch
    throttle_state   text NOT NULL DEFAULT 'running'
                     CHECK (throttle_state IN ('measuring', 'running', 'slowed', 'paused-for-lag')),
    throttle_reason  text NOT NULL DEFAULT '',
    sweeping         boolean NOT NULL DEFAULT false,
    finished         boolean NOT NULL DEFAULT false,
    baseline_p50_ms  double precision,            -- the latency probe's baseline, when throttled
    baseline_p99_ms  double precision,
    baseline_samples integer,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (migration, table_name)
);

-- The keys the keyset pass has covered, committed with the cursor (progress survives a resume).
ALTER TABLE tenantshift.backfill_cursor ADD COLUMN IF NOT EXISTS rows_scanned bigint NOT NULL DEFAULT 0;
