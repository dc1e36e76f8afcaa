#include "verify/fingerprint.h"

#include "db/connection.h"
#include "verify/sql_support.h"

namespace tenantshift::verify {

namespace {

// $1 schema, $2 planned tables (JSON), $3 tenants table, $4 app role, $5 tenant setting.
constexpr const char* kFingerprint = R"sql(
WITH RECURSIVE
planned AS (
  SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
     AND c.relname IN (SELECT json_array_elements_text($2::json))
),
scope AS (
  SELECT oid FROM planned
  UNION
  -- pg_partition_tree lists nothing for a table that is not partitioned.
  SELECT t.relid FROM planned p, LATERAL pg_catalog.pg_partition_tree(p.oid) t
  UNION
  SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relname = $3 AND c.relkind IN ('r', 'p')
),
app_roles AS (
  SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $4
  UNION
  SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN app_roles a ON m.member = a.oid
),
user_schemas AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_)'
),
views AS (
  SELECT v.oid FROM pg_catalog.pg_class v JOIN user_schemas s ON s.oid = v.relnamespace
   WHERE v.relkind IN ('v', 'm')
),
definers AS (
  SELECT p.oid FROM pg_catalog.pg_proc p JOIN user_schemas s ON s.oid = p.pronamespace
   WHERE p.prosecdef
),
owners AS (
  SELECT c.relowner AS oid FROM pg_catalog.pg_class c WHERE c.oid IN (SELECT oid FROM scope)
  UNION SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid IN (SELECT oid FROM views)
  UNION SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.oid IN (SELECT oid FROM definers)
),
lines(line) AS (
  SELECT concat_ws('|', 'rel', n.nspname, c.relname, c.relkind, c.relrowsecurity,
                   c.relforcerowsecurity, pg_catalog.pg_get_userbyid(c.relowner), c.relacl,
                   c.reloptions, pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                   (SELECT string_agg(pn.nspname || '.' || pc.relname, ',' ORDER BY pn.nspname, pc.relname)
                      FROM pg_catalog.pg_inherits i
                      JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
                      JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                     WHERE i.inhrelid = c.oid))
    FROM scope s JOIN pg_catalog.pg_class c ON c.oid = s.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  UNION ALL
  SELECT concat_ws('|', 'col', n.nspname, c.relname, a.attnum, a.attname,
                   pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated,
                   a.attidentity, pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attacl)
    FROM scope s JOIN pg_catalog.pg_class c ON c.oid = s.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  UNION ALL
  SELECT concat_ws('|', 'con', n.nspname, c.relname, con.conname,
                   pg_catalog.pg_get_constraintdef(con.oid), con.convalidated)
    FROM scope s JOIN pg_catalog.pg_class c ON c.oid = s.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_constraint con ON con.conrelid = c.oid
  UNION ALL
  SELECT concat_ws('|', 'idx', n.nspname, c.relname, ic.relname,
                   pg_catalog.pg_get_indexdef(x.indexrelid), x.indisvalid, x.indisprimary)
    FROM scope s JOIN pg_catalog.pg_class c ON c.oid = s.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_index x ON x.indrelid = c.oid
    JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
  UNION ALL
  SELECT concat_ws('|', 'pol', n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive,
                   (SELECT string_agg(CASE WHEN r.oid = 0 THEN 'public'
                                           ELSE pg_catalog.pg_get_userbyid(r.oid)::text END,
                                      ',' ORDER BY CASE WHEN r.oid = 0 THEN 'public'
                                                        ELSE pg_catalog.pg_get_userbyid(r.oid)::text END)
                      FROM unnest(p.polroles) AS r(oid)),
                   pg_catalog.pg_get_expr(p.polqual, p.polrelid),
                   pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
    FROM scope s JOIN pg_catalog.pg_class c ON c.oid = s.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid
  UNION ALL
  SELECT concat_ws('|', 'view', s.nspname, v.relname, v.relkind, v.reloptions,
                   pg_catalog.pg_get_userbyid(v.relowner), v.relacl,
                   md5(pg_catalog.pg_get_viewdef(v.oid)))
    FROM views w JOIN pg_catalog.pg_class v ON v.oid = w.oid
    JOIN user_schemas s ON s.oid = v.relnamespace
  UNION ALL
  SELECT concat_ws('|', 'definer', p.oid::regprocedure, pg_catalog.pg_get_userbyid(p.proowner),
                   p.proacl, p.prorettype::regtype)
    FROM definers d JOIN pg_catalog.pg_proc p ON p.oid = d.oid
  UNION ALL
  SELECT concat_ws('|', 'schema', s.nspname, pg_catalog.pg_get_userbyid(n.nspowner), n.nspacl)
    FROM user_schemas s JOIN pg_catalog.pg_namespace n ON n.oid = s.oid
  UNION ALL
  SELECT concat_ws('|', 'table', c.relname, c.relkind, c.relispartition,
                   pg_catalog.pg_get_userbyid(c.relowner), c.relacl)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  UNION ALL
  SELECT concat_ws('|', 'ledger', c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner),
                   c.relacl)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'tenantshift' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  UNION ALL
  SELECT concat_ws('|', 'ledger-function', p.oid::regprocedure, p.proacl)
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = 'tenantshift'
  UNION ALL
  SELECT concat_ws('|', 'role', r.rolname, r.rolsuper, r.rolbypassrls, r.rolinherit,
                   r.rolcanlogin)
    FROM pg_catalog.pg_roles r
   WHERE r.oid IN (SELECT oid FROM app_roles) OR r.oid IN (SELECT oid FROM owners)
  UNION ALL
  SELECT concat_ws('|', 'member', pg_catalog.pg_get_userbyid(m.roleid),
                   pg_catalog.pg_get_userbyid(m.member),
                   to_jsonb(m) - 'oid' - 'roleid' - 'member' - 'grantor')
    FROM pg_catalog.pg_auth_members m
   WHERE m.member IN (SELECT oid FROM app_roles) OR m.member IN (SELECT oid FROM owners)
  UNION ALL
  SELECT concat_ws('|', 'setting', d.datname, r.rolname, cfg)
    FROM pg_catalog.pg_db_role_setting s
    LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole,
    unnest(s.setconfig) AS cfg
   WHERE lower(split_part(cfg, '=', 1)) = lower($5)
  UNION ALL
  SELECT concat_ws('|', 'large-object', p.oid::regprocedure, p.proacl)
    FROM pg_catalog.pg_proc p
   WHERE p.pronamespace = 'pg_catalog'::regnamespace
     AND p.proname IN ('lo_create', 'lo_creat', 'lo_from_bytea', 'lo_import')
)
SELECT md5(COALESCE(string_agg(line, E'\n' ORDER BY line COLLATE "C"), '')) FROM lines
)sql";

}  // namespace

FingerprintScope fingerprintScope(const api::MigrationSpec& spec, const plan::Plan& plan) {
  FingerprintScope scope;
  scope.schema = spec.database.schema;
  for (const plan::TableDecision& decision : plan.decisions) {
    scope.tables.push_back(decision.table);
  }
  scope.tenantsTable = spec.tenant.table;
  scope.appRole = spec.database.appRole;
  scope.setting = spec.tenant.setting;
  return scope;
}

std::string schemaFingerprint(pqxx::transaction_base& tx, const FingerprintScope& scope) {
  // Names rendered from the catalog (regclass, pg_get_expr) depend on the search_path: the same
  // schema has one fingerprint whichever session reads it.
  Savepoint pinned(tx);
  tx.exec_params("SELECT pg_catalog.set_config('search_path', $1, true)", db::kSearchPath);
  std::string fingerprint = tx.exec_params1(kFingerprint, scope.schema, jsonList(scope.tables),
                                            scope.tenantsTable, scope.appRole, scope.setting)[0]
                                .as<std::string>();
  pinned.rollback();
  return fingerprint;
}

std::string schemaFingerprint(pqxx::connection& connection, const FingerprintScope& scope) {
  pqxx::read_transaction tx(connection, "tenantshift_verify_fingerprint");
  std::string fingerprint = schemaFingerprint(tx, scope);
  tx.commit();
  return fingerprint;
}

}  // namespace tenantshift::verify
