#include "db/catalog_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

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

class Reader {
 public:
  Reader(pqxx::transaction_base& tx, std::string schema) : tx_(tx), schema_(std::move(schema)) {}

  plan::Catalog read(const std::string& appRole) {
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
    for (auto& entry : tables_) {
      catalog.tables.push_back(std::move(entry.second));
    }
    std::sort(catalog.tables.begin(), catalog.tables.end(),
              [](const plan::Table& a, const plan::Table& b) { return a.name < b.name; });
    catalog.views = readViews();
    catalog.appRole = readRole(appRole);
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
             GREATEST(c.reltuples, 0)::bigint
        FROM schema_tables s
        JOIN pg_catalog.pg_class c ON c.oid = s.oid
        LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
        LEFT JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
        LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
    )sql",
                                schema_);
    for (const auto& row : rows) {
      plan::Table t;
      t.name = row[1].as<std::string>();
      t.owner = row[2].as<std::string>();
      t.partitioned = row[3].as<bool>();
      t.partitionOf = optionalText(row[4]);
      t.rowSecurity = row[5].as<bool>();
      t.forceRowSecurity = row[6].as<bool>();
      t.estimatedRows = row[7].as<std::int64_t>();
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
             a.attgenerated <> ''
        FROM schema_tables s
        JOIN pg_catalog.pg_attribute a ON a.attrelid = s.oid
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
                                    attributeNamesJson("con.confkey", "con.confrelid") + R"sql(
        FROM schema_tables s
        JOIN pg_catalog.pg_constraint con ON con.conrelid = s.oid AND con.contype = 'f'
        JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
        JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
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
            attributeNamesJson("(x.indkey::int2[])[0:x.indnkeyatts - 1]", "x.indrelid") + R"sql(
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
      table(row[0].as<Oid>()).uniqueKeys.push_back(std::move(key));
    }
  }

  void readIndexes() {
    auto rows = tx_.exec_params(
        std::string(kSchemaTables) + R"sql(
      SELECT x.indrelid::bigint, ic.relname, x.indisunique, x.indisvalid,
             pg_catalog.pg_get_indexdef(x.indexrelid), )sql" +
            attributeNamesJson("(x.indkey::int2[])[0:x.indnkeyatts - 1]", "x.indrelid") + R"sql(
        FROM schema_tables s
        JOIN pg_catalog.pg_index x ON x.indrelid = s.oid
        JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
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
      table(row[0].as<Oid>()).indexes.push_back(std::move(index));
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
    // relation the query reads directly. security_invoker is parsed with PostgreSQL's own
    // boolean syntax (on, true, 1, ...).
    auto rows = tx_.exec_params(R"sql(
      SELECT v.relname, v.relkind = 'm',
             COALESCE((SELECT o.option_value::boolean
                         FROM pg_catalog.pg_options_to_table(v.reloptions) o
                        WHERE o.option_name = 'security_invoker'), false),
             (SELECT COALESCE(json_agg(DISTINCT t.relname::text), '[]'::json)
                FROM pg_catalog.pg_rewrite rw
                JOIN pg_catalog.pg_depend d
                  ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
                 AND d.refclassid = 'pg_catalog.pg_class'::regclass
                JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
               WHERE rw.ev_class = v.oid AND t.oid <> v.oid
                 AND t.relkind IN ('r', 'p') AND t.relnamespace = v.relnamespace)
        FROM pg_catalog.pg_class v
        JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
       WHERE n.nspname = $1 AND v.relkind IN ('v', 'm')
       ORDER BY v.relname
    )sql",
                                schema_);
    std::vector<plan::View> views;
    for (const auto& row : rows) {
      plan::View view;
      view.name = row[0].as<std::string>();
      view.materialized = row[1].as<bool>();
      view.securityInvoker = row[2].as<bool>();
      view.tables = stringList(row[3]);
      std::sort(view.tables.begin(), view.tables.end());
      views.push_back(std::move(view));
    }
    std::sort(views.begin(), views.end(),
              [](const plan::View& a, const plan::View& b) { return a.name < b.name; });
    return views;
  }

  std::optional<plan::Role> readRole(const std::string& appRole) {
    if (appRole.empty()) {
      return std::nullopt;
    }
    auto rows = tx_.exec_params(
        "SELECT rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = $1", appRole);
    if (rows.empty()) {
      return std::nullopt;
    }
    plan::Role role;
    role.name = appRole;
    role.superuser = rows[0][0].as<bool>();
    role.bypassRls = rows[0][1].as<bool>();
    return role;
  }

  pqxx::transaction_base& tx_;
  std::string schema_;
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
  plan::Catalog catalog = Reader(tx, schema).read(appRole);
  tx.commit();
  spdlog::debug("read catalog of schema \"{}\": {} tables, {} views, app role {}", schema,
                catalog.tables.size(), catalog.views.size(),
                catalog.appRole ? "present" : "absent");
  return catalog;
}

}  // namespace tenantshift::db
