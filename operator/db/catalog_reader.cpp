#include "db/catalog_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "db/role_membership_sql.h"
#include "plan/tenant_objects.h"

namespace tenantshift::db {

namespace {

// The ledger's own schema: never part of a snapshot.
constexpr const char* kLedgerSchema = "tenantshift";

using Oid = std::int64_t;

// The tables (ordinary and partitioned) of the schema, as a CTE every query below starts from.
// $1 is the schema name.
constexpr const char* kSchemaTables = R"sql(
  WITH schema_tables AS (
    SELECT c.oid
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  )
)sql";

// Names of `attnums` (an int2[] or int2vector expression) of relation `relid`, in order, as a JSON
// array; 0 (an index expression) becomes "".
std::string attributeNamesJson(const std::string& attnums, const std::string& relid) {
  return "(SELECT COALESCE(json_agg(COALESCE(a.attname::text, '') ORDER BY k.ord), '[]'::json)"
         "   FROM unnest(" +
         attnums +
         ") WITH ORDINALITY AS k(attnum, ord)"
         "   LEFT JOIN pg_catalog.pg_attribute a"
         "     ON a.attrelid = " +
         relid + " AND a.attnum = k.attnum AND k.attnum <> 0)";
}

// ON DELETE SET NULL/DEFAULT (columns) of a foreign key `con` (PostgreSQL 15+; read through
// to_jsonb so that older servers, which lack the column, give an empty list).
constexpr const char* kDeleteSetColumns =
    "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(CASE WHEN pg_catalog.jsonb_typeof("
    "pg_catalog.to_jsonb(con) -> 'confdelsetcols') = 'array' THEN pg_catalog.to_jsonb(con) -> "
    "'confdelsetcols' ELSE '[]'::jsonb END)::int2)";

// Per key column of index `x` (pg_index), as a JSON array: the column or expression as
// pg_get_indexdef prints it, then its collation when it is not the column's, its operator class
// when it is not the default, and its ordering: what CREATE INDEX needs to build the same key.
constexpr const char* kKeyDefinitions = R"sql(
  (SELECT COALESCE(json_agg(
            pg_catalog.pg_get_indexdef(x.indexrelid, k.n, false)
            || CASE WHEN co.oid IS NOT NULL AND co.oid IS DISTINCT FROM a.attcollation
                         AND (a.attnum IS NOT NULL OR co.oid <> 100)
                    THEN ' COLLATE ' || pg_catalog.quote_ident(cn.nspname) || '.'
                         || pg_catalog.quote_ident(co.collname)
                    ELSE '' END
            || CASE WHEN NOT oc.opcdefault
                    THEN ' ' || pg_catalog.quote_ident(ocn.nspname) || '.'
                         || pg_catalog.quote_ident(oc.opcname)
                    ELSE '' END
            || CASE WHEN (x.indoption[k.n - 1] & 1) <> 0
                    THEN ' DESC' || CASE WHEN (x.indoption[k.n - 1] & 2) = 0 THEN ' NULLS LAST'
                                         ELSE '' END
                    WHEN (x.indoption[k.n - 1] & 2) <> 0 THEN ' NULLS FIRST'
                    ELSE '' END
            ORDER BY k.n), '[]'::json)
     FROM pg_catalog.generate_series(1, x.indnkeyatts) AS k(n)
     LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k.n - 1] AND x.indkey[k.n - 1] <> 0
     LEFT JOIN pg_catalog.pg_collation co ON co.oid = x.indcollation[k.n - 1]
     LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
     JOIN pg_catalog.pg_opclass oc ON oc.oid = x.indclass[k.n - 1]
     JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace)
)sql";

// The INCLUDE columns of index `x`, as a JSON array of names.
constexpr const char* kIncludeColumns = R"sql(
  (SELECT COALESCE(json_agg(a.attname::text ORDER BY k.n), '[]'::json)
     FROM pg_catalog.generate_series(x.indnkeyatts + 1, x.indnatts) AS k(n)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k.n - 1])
)sql";

// NULLS NOT DISTINCT of index `x` (PostgreSQL 15+; false on older servers).
constexpr const char* kNullsNotDistinct =
    "COALESCE((pg_catalog.to_jsonb(x) ->> 'indnullsnotdistinct')::boolean, false)";

// pg_constraint's confdeltype/confupdtype letter as SQL.
std::string referentialAction(const std::string& code) {
  if (code == "r") {
    return "RESTRICT";
  }
  if (code == "c") {
    return "CASCADE";
  }
  if (code == "n") {
    return "SET NULL";
  }
  if (code == "d") {
    return "SET DEFAULT";
  }
  return "NO ACTION";
}

// The privileges the app role ($2) has on relation `c`: effective (has_table_privilege, through
// PUBLIC and memberships), granted to it by name, and granted to PUBLIC, as three JSON arrays.
constexpr const char* kAppPrivileges = R"sql(
  (SELECT COALESCE(json_agg(p.name ORDER BY p.ord), '[]'::json)
     FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                       'TRIGGER']) WITH ORDINALITY AS p(name, ord)
    WHERE EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = $2
                     AND pg_catalog.has_table_privilege(r.oid, c.oid, p.name))),
  (SELECT COALESCE(json_agg(DISTINCT g.privilege_type), '[]'::json)
     FROM pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) AS g
     JOIN pg_catalog.pg_roles r ON r.oid = g.grantee AND r.rolname = $2),
  (SELECT COALESCE(json_agg(DISTINCT g.privilege_type), '[]'::json)
     FROM pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) AS g
    WHERE g.grantee = 0)
)sql";

std::vector<std::string> stringList(const pqxx::field& field) {
  if (field.is_null()) {
    return {};
  }
  return nlohmann::json::parse(field.c_str()).get<std::vector<std::string>>();
}

std::optional<std::string> optionalText(const pqxx::field& field) {
  if (field.is_null()) {
    return std::nullopt;
  }
  return field.as<std::string>();
}

plan::AppPrivileges appPrivileges(const pqxx::row& row, pqxx::row::size_type first) {
  plan::AppPrivileges out;
  out.effective = stringList(row[first]);
  out.direct = stringList(row[first + 1]);
  out.viaPublic = stringList(row[first + 2]);
  std::sort(out.direct.begin(), out.direct.end());
  std::sort(out.viaPublic.begin(), out.viaPublic.end());
  return out;
}

class Reader {
 public:
  Reader(pqxx::transaction_base& tx, std::string schema, std::string appRole)
      : tx_(tx), schema_(std::move(schema)), appRole_(std::move(appRole)) {}

  plan::Catalog read() {
    plan::Catalog catalog;
    catalog.schema = schema_;
    catalog.serverVersion =
        tx_.exec1("SELECT current_setting('server_version_num')::int")[0].as<int>();
    requireSchema();
    readTables();
    readColumns();
    readPrimaryKeys();
    readForeignKeys();
    readUniqueKeys();
    readIndexes();
    readPolicies();
    readTriggers();
    readPartitionKeys();
    for (auto& entry : tables_) {
      catalog.tables.push_back(std::move(entry.second));
    }
    std::sort(catalog.tables.begin(), catalog.tables.end(),
              [](const plan::Table& a, const plan::Table& b) { return a.name < b.name; });
    catalog.views = readViews();
    catalog.securityDefinerFunctions = readSecurityDefinerFunctions();
    catalog.appRole = readRole();
    return catalog;
  }

 private:
  void requireSchema() {
    auto rows =
        tx_.exec_params("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", schema_);
    if (rows.empty()) {
      throw std::runtime_error("schema \"" + schema_ +
                               "\" does not exist in the database: check spec.database.schema");
    }
  }

  plan::Table& table(Oid oid) {
    auto it = tables_.find(oid);
    if (it == tables_.end()) {
      throw std::logic_error("catalog query returned a relation outside the schema's tables");
    }
    return it->second;
  }

  void readTables() {
    // A partition's parent is named plainly when it lives in the same schema, else qualified as
    // "schema.name" (like foreign keys to other schemas).
    auto rows = tx_.exec_params(std::string(kSchemaTables) + R"sql(
      SELECT c.oid::bigint, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relkind = 'p',
             CASE WHEN pn.nspname = $1 THEN p.relname::text
                  ELSE pn.nspname || '.' || p.relname END,
             c.relrowsecurity, c.relforcerowsecurity,
             GREATEST(c.reltuples, 0)::bigint, )sql" +
                                    kAppPrivileges + R"sql(
        FROM schema_tables s
        JOIN pg_catalog.pg_class c ON c.oid = s.oid
        LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
        LEFT JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
        LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
    )sql",
                                schema_, appRole_);
    for (const auto& row : rows) {
      plan::Table t;
      t.name = row[1].as<std::string>();
      t.owner = row[2].as<std::string>();
      t.partitioned = row[3].as<bool>();
      t.partitionOf = optionalText(row[4]);
      t.rowSecurity = row[5].as<bool>();
      t.forceRowSecurity = row[6].as<bool>();
      t.estimatedRows = row[7].as<std::int64_t>();
      t.appPrivileges = appPrivileges(row, 8);
      tables_.emplace(row[0].as<Oid>(), std::move(t));
    }
  }

  void readColumns() {
    // The expression of a generated column lives in pg_attrdef too, but it is no default: it is
    // reported through `generated` only.
    auto rows = tx_.exec_params(std::string(kSchemaTables) + R"sql(
      SELECT a.attrelid::bigint, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
             a.attnotnull,
             CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
             a.attgenerated <> '', a.attidentity <> '',
             CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4
                  THEN a.atttypmod - 4 ELSE 0 END,
             t.typcategory = 'S'
        FROM schema_tables s
        JOIN pg_catalog.pg_attribute a ON a.attrelid = s.oid
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attrelid, a.attnum
    )sql",
                                schema_);
    for (const auto& row : rows) {
      plan::Column column;
      column.name = row[1].as<std::string>();
      column.type = row[2].as<std::string>();
      column.notNull = row[3].as<bool>();
      column.defaultExpr = optionalText(row[4]);
      column.generated = row[5].as<bool>();
      column.identity = row[6].as<bool>();
      column.maxLength = row[7].as<int>();
      column.textLike = row[8].as<bool>();
      table(row[0].as<Oid>()).columns.push_back(std::move(column));
    }
  }

  void readPrimaryKeys() {
    auto rows = tx_.exec_params(std::string(kSchemaTables) + "SELECT con.conrelid::bigint, " +
                                    attributeNamesJson("con.conkey", "con.conrelid") + R"sql(
        FROM schema_tables s
        JOIN pg_catalog.pg_constraint con ON con.conrelid = s.oid AND con.contype = 'p'
    )sql",
                                schema_);
    for (const auto& row : rows) {
      table(row[0].as<Oid>()).primaryKey = stringList(row[1]);
    }
  }

  void readForeignKeys() {
    // On partitioned tables PostgreSQL clones a foreign key once per partition of the referenced
    // table (same conrelid, conparentid set): those clones are skipped. A partition's own copy of
    // its parent's foreign key (different conrelid) is kept: it constrains the partition.
    auto rows = tx_.exec_params(std::string(kSchemaTables) + R"sql(
      SELECT con.conrelid::bigint, con.conname,
             CASE WHEN rn.nspname = $1 THEN r.relname::text ELSE rn.nspname || '.' || r.relname END,
             con.convalidated, )sql" +
                                    attributeNamesJson("con.conkey", "con.conrelid") + ", " +
                                    attributeNamesJson("con.confkey", "con.confrelid") + R"sql(,
             pg_catalog.pg_get_constraintdef(con.oid), con.confdeltype::text,
             con.confupdtype::text, con.confmatchtype::text, con.condeferrable, con.condeferred,
             COALESCE(ri.relname::text, ''), )sql" +
                                    attributeNamesJson(kDeleteSetColumns, "con.conrelid") +
                                    R"sql(
        FROM schema_tables s
        JOIN pg_catalog.pg_constraint con ON con.conrelid = s.oid AND con.contype = 'f'
        JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
        JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
        LEFT JOIN pg_catalog.pg_class ri ON ri.oid = con.conindid
       WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint parent
                          WHERE parent.oid = con.conparentid AND parent.conrelid = con.conrelid)
       ORDER BY con.conrelid, con.conname
    )sql",
                                schema_);
    for (const auto& row : rows) {
      plan::ForeignKey fk;
      fk.name = row[1].as<std::string>();
      fk.referencedTable = row[2].as<std::string>();
      fk.validated = row[3].as<bool>();
      fk.columns = stringList(row[4]);
      fk.referencedColumns = stringList(row[5]);
      fk.definition = row[6].as<std::string>();
      fk.onDelete = referentialAction(row[7].as<std::string>());
      fk.onUpdate = referentialAction(row[8].as<std::string>());
      fk.matchFull = row[9].as<std::string>() == "f";
      fk.deferrable = row[10].as<bool>();
      fk.initiallyDeferred = row[11].as<bool>();
      fk.referencedIndex = row[12].as<std::string>();
      fk.onDeleteColumns = stringList(row[13]);
      table(row[0].as<Oid>()).foreignKeys.push_back(std::move(fk));
    }
  }

  void readUniqueKeys() {
    // referencedBy skips the per-partition clones of a foreign key to a partitioned table (see
    // readForeignKeys): the declared foreign key is listed on the partitioned table's key.
    // Only valid unique indexes are keys: an INVALID one (a failed CREATE UNIQUE INDEX
    // CONCURRENTLY) guarantees nothing and is reported among `indexes` with valid = false.
    auto rows = tx_.exec_params(
        std::string(kSchemaTables) + R"sql(
      SELECT x.indrelid::bigint, COALESCE(con.conname, ic.relname), ic.relname, x.indisprimary,
             con.oid IS NOT NULL, x.indexprs IS NOT NULL,
             COALESCE(pg_catalog.pg_get_expr(x.indpred, x.indrelid), ''), am.amname,
             (SELECT COALESCE(json_agg(DISTINCT f.conname::text), '[]'::json)
                FROM pg_catalog.pg_constraint f
               WHERE f.contype = 'f' AND f.conindid = x.indexrelid
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint parent
                                  WHERE parent.oid = f.conparentid
                                    AND parent.conrelid = f.conrelid)), )sql" +
            attributeNamesJson("(x.indkey::int2[])[0:x.indnkeyatts - 1]", "x.indrelid") + ", " +
            kKeyDefinitions + ", " + kIncludeColumns + ", " + kNullsNotDistinct + R"sql(,
             COALESCE(con.condeferrable, false), COALESCE(con.condeferred, false)
        FROM schema_tables s
        JOIN pg_catalog.pg_index x ON x.indrelid = s.oid AND x.indisunique AND x.indisvalid
        JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
        JOIN pg_catalog.pg_am am ON am.oid = ic.relam
        LEFT JOIN pg_catalog.pg_constraint con
          ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u')
       ORDER BY x.indrelid, x.indisprimary DESC, 2
    )sql",
        schema_);
    for (const auto& row : rows) {
      plan::UniqueKey key;
      key.name = row[1].as<std::string>();
      key.indexName = row[2].as<std::string>();
      key.primary = row[3].as<bool>();
      key.constraint = row[4].as<bool>();
      key.hasExpressions = row[5].as<bool>();
      key.predicate = row[6].as<std::string>();
      key.method = row[7].as<std::string>();
      key.referencedBy = stringList(row[8]);
      std::sort(key.referencedBy.begin(), key.referencedBy.end());
      key.columns = stringList(row[9]);
      key.keyDefinitions = stringList(row[10]);
      key.includeColumns = stringList(row[11]);
      key.nullsNotDistinct = row[12].as<bool>();
      key.deferrable = row[13].as<bool>();
      key.initiallyDeferred = row[14].as<bool>();
      table(row[0].as<Oid>()).uniqueKeys.push_back(std::move(key));
    }
  }

  void readIndexes() {
    auto rows = tx_.exec_params(
        std::string(kSchemaTables) + R"sql(
      SELECT x.indrelid::bigint, ic.relname, x.indisunique, x.indisvalid,
             pg_catalog.pg_get_indexdef(x.indexrelid), )sql" +
            attributeNamesJson("(x.indkey::int2[])[0:x.indnkeyatts - 1]", "x.indrelid") + ", " +
            kKeyDefinitions + ", " + kIncludeColumns + ", " + kNullsNotDistinct + R"sql(,
             x.indisprimary, COALESCE(con.conname::text, ''), am.amname,
             COALESCE(pg_catalog.pg_get_expr(x.indpred, x.indrelid), ''), pi.relname::text
        FROM schema_tables s
        JOIN pg_catalog.pg_index x ON x.indrelid = s.oid
        JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
        JOIN pg_catalog.pg_am am ON am.oid = ic.relam
        LEFT JOIN pg_catalog.pg_constraint con
          ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid
         AND con.contype IN ('p', 'u', 'x')
        LEFT JOIN pg_catalog.pg_inherits ih ON ih.inhrelid = x.indexrelid
        LEFT JOIN pg_catalog.pg_class pi ON pi.oid = ih.inhparent
       ORDER BY x.indrelid, ic.relname
    )sql",
        schema_);
    for (const auto& row : rows) {
      plan::Index index;
      index.name = row[1].as<std::string>();
      index.unique = row[2].as<bool>();
      index.valid = row[3].as<bool>();
      index.definition = row[4].as<std::string>();
      index.columns = stringList(row[5]);
      index.keyDefinitions = stringList(row[6]);
      index.includeColumns = stringList(row[7]);
      index.nullsNotDistinct = row[8].as<bool>();
      index.primary = row[9].as<bool>();
      index.constraint = row[10].as<std::string>();
      index.method = row[11].as<std::string>();
      index.predicate = row[12].as<std::string>();
      index.partitionOf = optionalText(row[13]);
      table(row[0].as<Oid>()).indexes.push_back(std::move(index));
    }
  }

  void readTriggers() {
    // The application's own row triggers; tenantshift's triggers are not the application's.
    // Their functions, named with their schema (this session's search_path is pg_catalog's).
    auto rows = tx_.exec_params(std::string(kSchemaTables) + R"sql(
      SELECT t.tgrelid::bigint, t.tgname, t.tgenabled::text, (t.tgtype & 4) <> 0,
             t.tgfoid::pg_catalog.regprocedure::text, pg_catalog.pg_get_userbyid(p.proowner),
             )sql" + roleIsMemberOfSql("$3", "p.proowner") +
                                    R"sql(
        FROM schema_tables s
        JOIN pg_catalog.pg_trigger t ON t.tgrelid = s.oid
        JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
       WHERE NOT t.tgisinternal AND t.tgname <> ALL ($2::name[]) AND t.tgparentid = 0
       ORDER BY t.tgrelid, t.tgname
    )sql",
                                schema_, plan::ownTriggerNamesArray(), appRole_);
    for (const auto& row : rows) {
      plan::Trigger trigger;
      trigger.name = row[1].as<std::string>();
      const std::string enabled = row[2].as<std::string>();
      trigger.enabled = enabled.empty() ? 'O' : enabled.front();
      trigger.onInsert = row[3].as<bool>();
      trigger.function = row[4].as<std::string>();
      trigger.functionOwner = row[5].as<std::string>();
      trigger.appCanReplaceFunction = row[6].as<bool>();
      table(row[0].as<Oid>()).triggers.push_back(std::move(trigger));
    }
  }

  void readPartitionKeys() {
    auto rows = tx_.exec_params(std::string(kSchemaTables) + "SELECT pt.partrelid::bigint, " +
                                    attributeNamesJson("pt.partattrs::int2[]", "pt.partrelid") +
                                    R"sql(
        FROM schema_tables s
        JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = s.oid
    )sql",
                                schema_);
    for (const auto& row : rows) {
      table(row[0].as<Oid>()).partitionKey = stringList(row[1]);
    }
  }

  void readPolicies() {
    auto rows = tx_.exec_params(std::string(kSchemaTables) + R"sql(
      SELECT p.polrelid::bigint, p.polname
        FROM schema_tables s
        JOIN pg_catalog.pg_policy p ON p.polrelid = s.oid
       ORDER BY p.polrelid, p.polname
    )sql",
                                schema_);
    for (const auto& row : rows) {
      table(row[0].as<Oid>()).policies.push_back(row[1].as<std::string>());
    }
  }

  std::vector<plan::View> readViews() {
    // A view's (or materialized view's) query is its _RETURN rule; the rule depends on every
    // relation the query reads directly. The views of the schema, and those of any other schema
    // (but PostgreSQL's and the ledger's) that read a table of the schema, directly or through
    // other views (pg_catalog, pg_toast and other sessions' pg_temp_N start with pg_, which no
    // other schema may). security_invoker is parsed with PostgreSQL's own boolean syntax (on,
    // true, 1, ...).
    auto rows = tx_.exec_params(
        R"sql(
      WITH RECURSIVE reads AS (
        SELECT DISTINCT rw.ev_class AS view_oid, d.refobjid AS read_oid
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid
         WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND rw.ev_class <> d.refobjid
      ), reaching AS (
        SELECT r.view_oid AS oid
          FROM reads r
          JOIN pg_catalog.pg_class t ON t.oid = r.read_oid
          JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
         WHERE tn.nspname = $1 AND t.relkind IN ('r', 'p')
        UNION
        SELECT r.view_oid FROM reads r JOIN reaching x ON r.read_oid = x.oid
      )
      SELECT c.relname, n.nspname, c.relkind = 'm',
             COALESCE((SELECT o.option_value::boolean
                         FROM pg_catalog.pg_options_to_table(c.reloptions) o
                        WHERE o.option_name = 'security_invoker'), false),
             (SELECT COALESCE(json_agg(DISTINCT t.relname::text), '[]'::json)
                FROM reads r
                JOIN pg_catalog.pg_class t ON t.oid = r.read_oid
                JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
               WHERE r.view_oid = c.oid AND t.relkind IN ('r', 'p') AND tn.nspname = $1),
             (SELECT COALESCE(json_agg(DISTINCT CASE WHEN tn.nspname = $1 THEN t.relname::text
                                                     ELSE tn.nspname || '.' || t.relname END),
                              '[]'::json)
                FROM reads r
                JOIN pg_catalog.pg_class t ON t.oid = r.read_oid
                JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
               WHERE r.view_oid = c.oid AND t.relkind IN ('v', 'm')),
             pg_catalog.pg_get_userbyid(c.relowner), (o.rolsuper OR o.rolbypassrls), )sql" +
            std::string(kAppPrivileges) + R"sql(
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
       WHERE c.relkind IN ('v', 'm')
         AND (n.nspname = $1
              OR (c.oid IN (SELECT oid FROM reaching)
                  AND NOT pg_catalog.starts_with(n.nspname, 'pg_')
                  AND n.nspname NOT IN ('information_schema', $3)))
       ORDER BY n.nspname = $1 DESC, n.nspname, c.relname
    )sql",
        schema_, appRole_, std::string(kLedgerSchema));
    std::vector<plan::View> views;
    for (const auto& row : rows) {
      plan::View view;
      view.name = row[0].as<std::string>();
      view.schema = row[1].as<std::string>();
      view.materialized = row[2].as<bool>();
      view.securityInvoker = row[3].as<bool>();
      view.tables = stringList(row[4]);
      std::sort(view.tables.begin(), view.tables.end());
      view.views = stringList(row[5]);
      std::sort(view.views.begin(), view.views.end());
      view.owner = row[6].as<std::string>();
      view.ownerBypassesRls = row[7].as<bool>();
      view.appPrivileges = appPrivileges(row, 8);
      views.push_back(std::move(view));
    }
    return views;
  }

  // SECURITY DEFINER functions in every schema the application role may use (its own and
  // tenantshift's excepted): they run with their owner's rights, which may bypass the policies.
  std::vector<plan::Function> readSecurityDefinerFunctions() {
    auto rows = tx_.exec_params(R"sql(
      SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
             p.proname || '(' || COALESCE((SELECT string_agg(pg_catalog.format_type(a.t, NULL),
                                                             ', ' ORDER BY a.o)
                                             FROM unnest(p.proargtypes::oid[])
                                                  WITH ORDINALITY AS a(t, o)), '') || ')',
             pg_catalog.pg_get_userbyid(p.proowner), (o.rolsuper OR o.rolbypassrls),
             EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = $1
                        AND pg_catalog.has_function_privilege(r.oid, p.oid, 'EXECUTE')
                        AND pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE')),
             p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_catalog.pg_roles o ON o.oid = p.proowner
       WHERE p.prosecdef
         AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'tenantshift')
         AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
       ORDER BY n.nspname, p.proname, 3
    )sql",
                                appRole_);
    std::vector<plan::Function> functions;
    for (const auto& row : rows) {
      plan::Function function;
      function.schema = row[0].as<std::string>();
      function.name = row[1].as<std::string>();
      function.arguments = row[2].as<std::string>();
      function.signature = row[3].as<std::string>();
      function.owner = row[4].as<std::string>();
      function.ownerBypassesRls = row[5].as<bool>();
      function.appCanExecute = row[6].as<bool>();
      function.returnsTrigger = row[7].as<bool>();
      functions.push_back(std::move(function));
    }
    return functions;
  }

  std::optional<plan::Role> readRole() {
    if (appRole_.empty()) {
      return std::nullopt;
    }
    auto rows = tx_.exec_params(
        "SELECT r.rolsuper, r.rolbypassrls, "
        "(SELECT COALESCE(json_agg(m.rolname::text ORDER BY m.rolname), '[]'::json) "
        "FROM pg_catalog.pg_roles m WHERE m.oid <> r.oid "
        "AND pg_catalog.pg_has_role(r.oid, m.oid, 'USAGE')) "
        "FROM pg_catalog.pg_roles r WHERE r.rolname = $1",
        appRole_);
    if (rows.empty()) {
      return std::nullopt;
    }
    plan::Role role;
    role.name = appRole_;
    role.superuser = rows[0][0].as<bool>();
    role.bypassRls = rows[0][1].as<bool>();
    role.memberOf = stringList(rows[0][2]);
    return role;
  }

  pqxx::transaction_base& tx_;
  std::string schema_;
  std::string appRole_;
  std::map<Oid, plan::Table> tables_;
};

}  // namespace

plan::Catalog readCatalog(pqxx::connection& connection, const std::string& schema,
                          const std::string& appRole, std::chrono::milliseconds lockTimeout) {
  if (schema == kLedgerSchema) {
    throw std::invalid_argument(
        "schema \"tenantshift\" holds tenantshift's own ledger and cannot be migrated: set "
        "spec.database.schema to the application's schema");
  }
  // One read-only snapshot for every query, so that the parts agree with each other.
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(
      connection, "tenantshift-read-catalog");
  if (lockTimeout.count() > 0) {
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)",
                   std::to_string(lockTimeout.count()) + "ms");
  }
  // Every name in PostgreSQL's deparsed text (defaults, predicates, constraint and index
  // definitions, types) comes out qualified, so that it means the same wherever it is pasted.
  tx.exec0("SET LOCAL search_path = pg_catalog");
  plan::Catalog catalog = Reader(tx, schema, appRole).read();
  tx.commit();
  spdlog::debug("read catalog of schema \"{}\": {} tables, {} views, app role {}", schema,
                catalog.tables.size(), catalog.views.size(),
                catalog.appRole ? "present" : "absent");
  return catalog;
}

}  // namespace tenantshift::db
