#include "plan/catalog.h"

#include <algorithm>

namespace tenantshift::plan {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Column, name, type, notNull, defaultExpr, generated)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ForeignKey, name, columns, referencedTable,
                                                referencedColumns, validated)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UniqueKey, name, indexName, columns, primary,
                                                constraint, hasExpressions, predicate, method,
                                                referencedBy)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Index, name, columns, unique, valid, definition)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Table, name, owner, partitioned, partitionOf,
                                                columns, primaryKey, foreignKeys, uniqueKeys,
                                                indexes, rowSecurity, forceRowSecurity, policies,
                                                estimatedRows)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(View, name, tables, materialized, securityInvoker)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Role, name, superuser, bypassRls)

void to_json(nlohmann::json& j, const Catalog& catalog) {
  j = nlohmann::json{{"schema", catalog.schema},
                     {"serverVersion", catalog.serverVersion},
                     {"tables", catalog.tables},
                     {"views", catalog.views},
                     {"appRole", catalog.appRole}};
}

void from_json(const nlohmann::json& j, Catalog& catalog) {
  catalog.schema = j.at("schema").get<std::string>();
  catalog.serverVersion = j.value("serverVersion", 150000);
  catalog.tables = j.value("tables", std::vector<Table>{});
  catalog.views = j.value("views", std::vector<View>{});
  if (j.contains("appRole") && !j.at("appRole").is_null()) {
    catalog.appRole = j.at("appRole").get<Role>();
  }
}

const Column* Table::findColumn(const std::string& column) const {
  auto it = std::find_if(columns.begin(), columns.end(),
                         [&](const Column& c) { return c.name == column; });
  return it == columns.end() ? nullptr : &*it;
}

const Table* Catalog::findTable(const std::string& name) const {
  auto it =
      std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == name; });
  return it == tables.end() ? nullptr : &*it;
}

}  // namespace tenantshift::plan
