-- The naive 2-hop conversion: add the columns, then one UPDATE per table, parents first.
\set ON_ERROR_STOP on
CREATE TABLE tenants (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT NULL);
INSERT INTO tenants VALUES ('00000000-0000-0000-0000-000000000001', 'default', 'Default Tenant');
ALTER TABLE users ADD COLUMN tenant_id uuid NOT NULL
  DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants (id);
ALTER TABLE accounts ADD COLUMN tenant_id uuid;
ALTER TABLE events ADD COLUMN tenant_id uuid;
