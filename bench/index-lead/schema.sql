-- The single-tenant application before its conversion: orders of 20 stores (each store becomes a
-- tenant, spec.tables[orders].from.column = store_id), an index on the order time that the
-- application's "latest orders" and "orders of an hour" pages use, and the application's role.
DO $$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_app') THEN
    CREATE ROLE bench_app LOGIN;
  END IF;
END$$;
CREATE TABLE orders (
  order_id       bigserial PRIMARY KEY,
  store_id       bigint NOT NULL,
  customer_email text NOT NULL,
  created_at     timestamptz NOT NULL,
  amount         numeric(10, 2) NOT NULL,
  status         text NOT NULL
);
CREATE INDEX orders_created_at_idx ON orders (created_at);
GRANT SELECT, INSERT, UPDATE ON orders TO bench_app;
GRANT USAGE ON SEQUENCE orders_order_id_seq TO bench_app;
