#include "verify/relation_reader.h"

#include "verify/catalog_sql.h"
#include "verify/scope.h"
#include "verify/sql_support.h"

namespace tenantshift::verify {

namespace {

class RelationReader {
 public:
  RelationReader(pqxx::transaction_base& tx, std::string appOid)
      : tx_(tx), appOid_(std::move(appOid)) {}

  std::vector<LiveTable> liveTables(const api::MigrationSpec& spec, const plan::Plan& plan) {
    std::vector<LiveTable> out;
    for (const plan::TableDecision& decision : plan.decisions) {
      LiveTable table;
      table.name = decision.table;
      auto rows = tx_.exec_params(
          "SELECT n.nspname, c.relname"
          "  FROM pg_catalog.pg_class t"
          "  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace,"
          "  LATERAL pg_catalog.pg_partition_tree(t.oid) p"
          "  JOIN pg_catalog.pg_class c ON c.oid = p.relid"
          "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
          " WHERE tn.nspname = $1 AND t.relname = $2 AND t.relkind IN ('r', 'p') AND p.level > 0"
          " ORDER BY p.level, n.nspname, c.relname",
          spec.database.schema, decision.table);
      for (const auto& row : rows) {
        table.partitions.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
      }
      out.push_back(std::move(table));
    }
    return out;
  }

  RelationFacts read(const ScopeEntry& entry) {
    RelationFacts facts;
    facts.schema = entry.schema;
    facts.name = entry.name;
    facts.kind = entry.kind;
    facts.root = entry.root;
    facts.tenantColumn = entry.tenantColumn;
    auto rows = tx_.exec_params(
        "SELECT c.oid::text, c.relkind = 'p', c.relispartition, c.relrowsecurity,"
        "       c.relforcerowsecurity, pg_catalog.pg_get_userbyid(c.relowner)::text, " +
            ifAppRole("$3::oid", "pg_catalog.pg_has_role($3::oid, c.relowner, 'MEMBER')") + ", " +
            privilege("SELECT") + ", " + privilege("INSERT") + ", " + privilege("UPDATE") + ", " +
            privilege("DELETE") +
            "  FROM pg_catalog.pg_class c"
            "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
        entry.schema, entry.name, appOid_);
    if (rows.empty()) {
      return facts;
    }
    const auto& row = rows[0];
    facts.exists = true;
    facts.oid = row[0].as<std::string>();
    facts.partitioned = row[1].as<bool>();
    facts.detached = entry.detached && !row[2].as<bool>();
    facts.rowSecurity = row[3].as<bool>();
    facts.forceRowSecurity = row[4].as<bool>();
    facts.owner = row[5].as<std::string>();
    facts.appActsAsOwner = row[6].as<bool>();
    facts.app.select = row[7].as<bool>();
    facts.app.insert = row[8].as<bool>();
    facts.app.update = row[9].as<bool>();
    facts.app.remove = row[10].as<bool>();
    readPrimaryKey(facts);
    if (facts.kind == RelationKind::TenantsTable) {
      facts.tenantColumn = facts.primaryKey.size() == 1 ? facts.primaryKey.front() : "id";
    }
    readColumns(facts);
    readPolicies(facts);
    readIndexes(facts);
    readForeignKeys(facts);
    return facts;
  }

 private:
  std::string privilege(const std::string& name) const {
    return ifAppRole("$3::oid", "pg_catalog.has_table_privilege($3::oid, c.oid, '" + name + "')");
  }

  void readPrimaryKey(RelationFacts& facts) {
    auto rows = tx_.exec_params("SELECT " + attributeNamesJson("con.conkey", "con.conrelid") +
                                    "::text FROM pg_catalog.pg_constraint con"
                                    " WHERE con.conrelid = $1::oid AND con.contype = 'p'",
                                facts.oid);
    if (!rows.empty()) {
      facts.primaryKey = parseJsonList(rows[0][0]);
    }
  }

  void readColumns(RelationFacts& facts) {
    auto rows = tx_.exec_params(
        "SELECT a.attname, a.attgenerated <> '', a.attidentity = 'a',"
        "       pg_catalog.format_type(a.atttypid, a.atttypmod)"
        "  FROM pg_catalog.pg_attribute a"
        " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY a.attnum",
        facts.oid);
    for (const auto& row : rows) {
      ColumnFacts column;
      column.name = row[0].as<std::string>();
      column.generated = row[1].as<bool>();
      column.identityAlways = row[2].as<bool>();
      if (column.name == facts.tenantColumn) {
        facts.hasTenantColumn = true;
        facts.tenantColumnType = row[3].as<std::string>();
      }
      facts.columns.push_back(std::move(column));
    }
  }

  void readPolicies(RelationFacts& facts) {
    auto rows = tx_.exec_params(
        "SELECT p.polname, p.polcmd::text, p.polpermissive,"
        "       (SELECT json_agg(x.name ORDER BY x.name)::text"
        "          FROM (SELECT CASE WHEN r.oid = 0 THEN 'public'"
        "                            ELSE pg_catalog.pg_get_userbyid(r.oid)::text END AS name"
        "                  FROM unnest(p.polroles) AS r(oid)) x),"
        "       0::oid = ANY (p.polroles) OR " +
            ifAppRole("$2::oid",
                      "EXISTS (SELECT 1 FROM unnest(p.polroles) AS r(oid) WHERE r.oid <> 0"
                      " AND pg_catalog.pg_has_role($2::oid, r.oid, 'MEMBER'))") +
            ","
            "       COALESCE(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ''),"
            "       COALESCE(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')"
            "  FROM pg_catalog.pg_policy p WHERE p.polrelid = $1::oid ORDER BY p.polname",
        facts.oid, appOid_);
    for (const auto& row : rows) {
      PolicyFacts policy;
      policy.name = row[0].as<std::string>();
      const auto command = row[1].as<std::string>();
      policy.command = command.empty() ? '*' : command.front();
      policy.permissive = row[2].as<bool>();
      policy.roles = parseJsonList(row[3]);
      policy.appliesToApp = row[4].as<bool>();
      policy.usingExpr = row[5].as<std::string>();
      policy.checkExpr = row[6].as<std::string>();
      facts.policies.push_back(std::move(policy));
    }
  }

  void readIndexes(RelationFacts& facts) {
    auto rows = tx_.exec_params(
        "SELECT ic.relname, COALESCE(con.conname::text, ''), x.indisunique, x.indisprimary,"
        "       x.indisvalid, x.indpred IS NOT NULL,"
        "       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = x.indexrelid), " +
            attributeNamesJson("(x.indkey::int2[])[0:x.indnkeyatts - 1]", "x.indrelid") +
            "::text, pg_catalog.pg_get_indexdef(x.indexrelid)"
            "  FROM pg_catalog.pg_index x"
            "  JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
            "  LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = x.indexrelid"
            "   AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x')"
            " WHERE x.indrelid = $1::oid ORDER BY ic.relname",
        facts.oid);
    for (const auto& row : rows) {
      IndexFacts index;
      index.name = row[0].as<std::string>();
      index.constraint = row[1].as<std::string>();
      index.unique = row[2].as<bool>();
      index.primary = row[3].as<bool>();
      index.valid = row[4].as<bool>();
      index.partial = row[5].as<bool>();
      index.attachedToParent = row[6].as<bool>();
      index.keyColumns = parseJsonList(row[7]);
      index.definition = row[8].as<std::string>();
      facts.indexes.push_back(std::move(index));
    }
  }

  void readForeignKeys(RelationFacts& facts) {
    // conparentid = 0: PostgreSQL's clones of a foreign key (per partition of either side)
    // belong to the declared one.
    auto rows = tx_.exec_params(
        "SELECT con.conname, rn.nspname, r.relname, con.convalidated, " +
            attributeNamesJson("con.conkey", "con.conrelid") + "::text, " +
            attributeNamesJson("con.confkey", "con.confrelid") +
            "::text"
            "  FROM pg_catalog.pg_constraint con"
            "  JOIN pg_catalog.pg_class r ON r.oid = con.confrelid"
            "  JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace"
            " WHERE con.conrelid = $1::oid AND con.contype = 'f' AND con.conparentid = 0"
            " ORDER BY con.conname",
        facts.oid);
    for (const auto& row : rows) {
      ForeignKeyFacts fk;
      fk.name = row[0].as<std::string>();
      fk.referencedSchema = row[1].as<std::string>();
      fk.referencedTable = row[2].as<std::string>();
      fk.validated = row[3].as<bool>();
      fk.columns = parseJsonList(row[4]);
      fk.referencedColumns = parseJsonList(row[5]);
      facts.foreignKeys.push_back(std::move(fk));
    }
  }

  pqxx::transaction_base& tx_;
  std::string appOid_;
};

}  // namespace

std::vector<RelationFacts> readRelations(pqxx::transaction_base& tx, const api::MigrationSpec& spec,
                                         const plan::Plan& plan, const std::string& appOid) {
  RelationReader reader(tx, appOid);
  std::vector<RelationFacts> out;
  for (const ScopeEntry& entry : buildScope(spec, plan, reader.liveTables(spec, plan))) {
    RelationFacts facts = reader.read(entry);
    // A partition the plan lists that no longer exists anywhere: nothing left to check.
    if (entry.detached && !facts.exists) {
      continue;
    }
    out.push_back(std::move(facts));
  }
  return out;
}

}  // namespace tenantshift::verify
