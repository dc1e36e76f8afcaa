-- Loads :nusers users, :naccounts accounts and :nevents events, then keys, indexes and the
-- foreign keys, and vacuums (every copy starts with the same all-visible pages).
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';
INSERT INTO users (id, email) SELECT g, 'user' || g || '@example.com'
  FROM generate_series(1, :nusers) g;
INSERT INTO accounts (id, user_id, name) SELECT g, 1 + (g::bigint * 7919) % :nusers, 'account ' || g
  FROM generate_series(1, :naccounts) g;
INSERT INTO events (id, account_id, kind, amount)
SELECT g, 1 + (g::bigint * 104729) % :naccounts,
       (ARRAY['login', 'view', 'order', 'payment', 'logout'])[1 + g % 5], (g % 100000) / 100.0
  FROM generate_series(1, :nevents) g;
ALTER TABLE users ADD PRIMARY KEY (id);
ALTER TABLE accounts ADD PRIMARY KEY (id);
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX accounts_user_id_idx ON accounts (user_id);
CREATE INDEX events_account_id_idx ON events (account_id);
ALTER TABLE accounts ADD CONSTRAINT accounts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE events ADD CONSTRAINT events_account_id_fkey
  FOREIGN KEY (account_id) REFERENCES accounts (id);
VACUUM (FREEZE, ANALYZE) users, accounts, events;
