-- The naive conversion, part 1: add the columns (instant: nullable, or a constant default).
-- Part 2 (naive_update.sql) fills the child's tenant_id with one statement.
\set ON_ERROR_STOP on
CREATE TABLE tenants (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT NULL);
INSERT INTO tenants VALUES ('00000000-0000-0000-0000-000000000001', 'default', 'Default Tenant');
ALTER TABLE users ADD COLUMN tenant_id uuid NOT NULL
  DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES tenants (id);
ALTER TABLE events ADD COLUMN tenant_id uuid;
