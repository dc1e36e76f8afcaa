-- Loads :nusers users and :nevents events (user_id spread evenly over the users), then adds the
-- primary keys, the index on events.user_id and the foreign key, and vacuums so that every copy
-- of this database starts with the same, all-visible pages.
--   psql -v nusers=100000 -v nevents=10000000 -f generate.sql
\set ON_ERROR_STOP on
-- Loading only: the benchmark itself runs with the server's default synchronous_commit.
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';

INSERT INTO users (id, email, name, created_at)
SELECT g, 'user' || g || '@example.com', 'User ' || g,
       timestamptz '2024-01-01' + g * interval '1 minute'
  FROM generate_series(1, :nusers) AS g;

INSERT INTO events (id, user_id, kind, amount, created_at)
SELECT g, 1 + (g::bigint * 7919) % :nusers,
       (ARRAY['login', 'view', 'order', 'payment', 'logout'])[1 + g % 5],
       (g % 100000) / 100.0,
       timestamptz '2024-01-01' + g * interval '1 second'
  FROM generate_series(1, :nevents) AS g;

ALTER TABLE users ADD PRIMARY KEY (id), ADD UNIQUE (email);
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX events_user_id_idx ON events (user_id);
-- Validated by one anti-join rather than a trigger call per row.
ALTER TABLE events ADD CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);

SELECT setval(pg_get_serial_sequence('users', 'id'), :nusers);
SELECT setval(pg_get_serial_sequence('events', 'id'), :nevents);

VACUUM (FREEZE, ANALYZE) users, events;
