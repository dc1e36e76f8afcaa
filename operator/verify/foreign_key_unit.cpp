#include "verify/foreign_key_unit.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"
#include "verify/sql_support.h"
#include "verify/unit_runner.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

// "(a, b)=(1, 2)"
std::string keyText(const std::vector<std::string>& columns, const pqxx::row& row,
                    std::size_t first) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    values.push_back(row[static_cast<int>(first + i)].is_null()
                         ? "NULL"
                         : row[static_cast<int>(first + i)].as<std::string>());
  }
  return "(" + joined(columns) + ")=(" + joined(values) + ")";
}

}  // namespace

ForeignKeyObservation observeForeignKey(pqxx::connection& connection, const VerifyOptions& options,
                                        const api::MigrationSpec& spec, const plan::Plan& plan,
                                        const RelationFacts& child, const ForeignKeyFacts& fk,
                                        const RelationFacts& parent) {
  const std::string& schema = spec.database.schema;
  ForeignKeyObservation seen;
  seen.table = child.root;
  seen.relation = child.label(schema);
  seen.parent = parent.label(schema);
  seen.fk = fk;
  seen.enforced = enforcedByDatabase(fk, child.tenantColumn, parent.tenantColumn);
  if (seen.enforced && !crossTenantAccepted(spec, plan, child.root, fk.name)) {
    return seen;
  }
  if (!parent.hasTenantColumn) {
    seen.error = seen.parent + " has no " + quoteIdent(parent.tenantColumn) + " column";
    return seen;
  }
  const std::string childTenant = "c." + quoteIdent(child.tenantColumn);
  std::vector<std::string> join;
  std::vector<std::string> notNull = {childTenant + " IS NOT NULL"};
  std::vector<std::string> childColumns;
  for (std::size_t i = 0; i < fk.columns.size() && i < fk.referencedColumns.size(); ++i) {
    if (fk.columns[i] == child.tenantColumn && fk.referencedColumns[i] == parent.tenantColumn) {
      continue;  // the tenant pair: what is being checked
    }
    join.push_back("p." + quoteIdent(fk.referencedColumns[i]) + " = c." +
                   quoteIdent(fk.columns[i]));
    notNull.push_back("c." + quoteIdent(fk.columns[i]) + " IS NOT NULL");
    childColumns.push_back(fk.columns[i]);
  }
  if (join.empty()) {
    seen.ran = true;  // the key is the tenant column alone: nothing else to disagree on
    return seen;
  }
  const std::string parentTenant = "p." + quoteIdent(parent.tenantColumn);
  const std::string on = joined(join, " AND ");
  const std::string where =
      joined(notNull, " AND ") + " AND EXISTS (SELECT 1 FROM " + parent.qualified() +
      " AS p WHERE " + on + " AND " + parentTenant + " IS DISTINCT FROM " + childTenant +
      ") AND NOT EXISTS (SELECT 1 FROM " + parent.qualified() + " AS p WHERE " + on + " AND " +
      parentTenant + " = " + childTenant + ")";
  std::vector<std::string> keyColumns = child.primaryKey;
  std::string keySelect;
  if (keyColumns.empty()) {
    keyColumns = {"ctid"};
    keySelect = "c.ctid::text";
  } else {
    std::vector<std::string> parts;
    parts.reserve(keyColumns.size());
    for (const std::string& column : keyColumns) {
      parts.push_back("c." + quoteIdent(column) + "::text");
    }
    keySelect = joined(parts);
  }
  std::vector<std::string> fkParts;
  fkParts.reserve(childColumns.size());
  for (const std::string& column : childColumns) {
    fkParts.push_back("c." + quoteIdent(column) + "::text");
  }
  const UnitRun run = runUnit(
      connection, options, "counting cross-tenant rows of foreign key " + quoteIdent(fk.name),
      [&](pqxx::connection& c) {
        pqxx::read_transaction tx(c, "tenantshift_verify_foreign_key");
        setLockTimeout(tx, spec.ddl.lockTimeout);
        seen.crossTenant =
            tx.exec_params1("SELECT count(*) FROM " + child.qualified() + " AS c WHERE " + where)[0]
                .as<std::int64_t>();
        seen.samples.clear();
        if (seen.crossTenant > 0) {
          auto rows = tx.exec_params("SELECT " + keySelect + ", " + childTenant + "::text, " +
                                     joined(fkParts) + ", (SELECT " + parentTenant +
                                     "::text FROM " + parent.qualified() + " AS p WHERE " + on +
                                     " AND " + parentTenant + " IS DISTINCT FROM " + childTenant +
                                     " LIMIT 1) FROM " + child.qualified() + " AS c WHERE " +
                                     where + " LIMIT " + std::to_string(kForeignKeySamples));
          for (const auto& row : rows) {
            const std::size_t tenantAt = keyColumns.size();
            const std::size_t parentAt = tenantAt + 1 + childColumns.size();
            CrossTenantSample sample;
            sample.child = keyText(keyColumns, row, 0) + " of tenant " +
                           row[static_cast<int>(tenantAt)].as<std::string>();
            std::vector<std::string> referenced;
            for (std::size_t i = 0; i < fk.columns.size(); ++i) {
              if (!(fk.columns[i] == child.tenantColumn &&
                    fk.referencedColumns[i] == parent.tenantColumn)) {
                referenced.push_back(fk.referencedColumns[i]);
              }
            }
            sample.parent = seen.parent + " " + keyText(referenced, row, tenantAt + 1) +
                            " of tenant " +
                            (row[static_cast<int>(parentAt)].is_null()
                                 ? std::string("NULL")
                                 : row[static_cast<int>(parentAt)].as<std::string>());
            seen.samples.push_back(std::move(sample));
          }
        }
        tx.abort();
      });
  seen.ran = run.done;
  seen.error = run.error;
  return seen;
}

}  // namespace tenantshift::verify
