#include "plan/catalog.h"

#include <algorithm>

#include "plan/sql_identifier.h"

namespace tenantshift::plan {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Column, name, type, notNull, defaultExpr, generated,
                                                identity, maxLength, textLike)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ForeignKey, name, columns, referencedTable,
                                                referencedColumns, validated, definition, onDelete,
                                                onUpdate, onDeleteColumns, matchFull, deferrable,
                                                initiallyDeferred, referencedIndex)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UniqueKey, name, indexName, columns, primary,
                                                constraint, hasExpressions, predicate, method,
                                                referencedBy, keyDefinitions, includeColumns,
                                                nullsNotDistinct, deferrable, initiallyDeferred)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Index, name, columns, unique, valid, definition,
                                                primary, constraint, method, keyDefinitions,
                                                includeColumns, predicate, nullsNotDistinct,
                                                partitionOf)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Trigger, name, enabled, internal, onInsert,
                                                function, functionOwner, appCanReplaceFunction)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AppPrivileges, effective, direct, viaPublic)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Table, name, owner, partitioned, partitionOf,
                                                columns, primaryKey, foreignKeys, uniqueKeys,
                                                indexes, rowSecurity, forceRowSecurity, policies,
                                                estimatedRows, partitionKey, triggers,
                                                appPrivileges)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(View, name, schema, tables, materialized,
                                                securityInvoker, views, owner, ownerBypassesRls,
                                                appPrivileges)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Function, schema, name, arguments, signature, owner,
                                                ownerBypassesRls, appCanExecute, returnsTrigger)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Role, name, superuser, bypassRls, memberOf)

void to_json(nlohmann::json& j, const Catalog& catalog) {
  j = nlohmann::json{{"schema", catalog.schema},
                     {"serverVersion", catalog.serverVersion},
                     {"tables", catalog.tables},
                     {"views", catalog.views},
                     {"securityDefinerFunctions", catalog.securityDefinerFunctions},
                     {"appRole", catalog.appRole}};
}

void from_json(const nlohmann::json& j, Catalog& catalog) {
  catalog.schema = j.at("schema").get<std::string>();
  catalog.serverVersion = j.value("serverVersion", 150000);
  catalog.tables = j.value("tables", std::vector<Table>{});
  catalog.views = j.value("views", std::vector<View>{});
  catalog.securityDefinerFunctions = j.value("securityDefinerFunctions", std::vector<Function>{});
  if (j.contains("appRole") && !j.at("appRole").is_null()) {
    catalog.appRole = j.at("appRole").get<Role>();
  }
}

const Column* Table::findColumn(const std::string& column) const {
  auto it = std::find_if(columns.begin(), columns.end(),
                         [&](const Column& c) { return c.name == column; });
  return it == columns.end() ? nullptr : &*it;
}

const Index* Table::findIndex(const std::string& index) const {
  auto it =
      std::find_if(indexes.begin(), indexes.end(), [&](const Index& i) { return i.name == index; });
  return it == indexes.end() ? nullptr : &*it;
}

const ForeignKey* Table::findForeignKey(const std::string& fkName) const {
  auto it = std::find_if(foreignKeys.begin(), foreignKeys.end(),
                         [&](const ForeignKey& fk) { return fk.name == fkName; });
  return it == foreignKeys.end() ? nullptr : &*it;
}

bool Table::appCan(const std::string& privilege) const {
  return std::find(appPrivileges.effective.begin(), appPrivileges.effective.end(), privilege) !=
         appPrivileges.effective.end();
}

std::string View::key(const std::string& catalogSchema) const {
  return schema.empty() || schema == catalogSchema ? name : schema + "." + name;
}

const View* Catalog::findView(const std::string& key) const {
  auto it =
      std::find_if(views.begin(), views.end(), [&](const View& v) { return v.key(schema) == key; });
  return it == views.end() ? nullptr : &*it;
}

std::string Catalog::qualifiedName(const View& view) const {
  return qualified(view.schema.empty() ? schema : view.schema, view.name);
}

std::vector<const Table*> Catalog::partitionsOf(const std::string& table) const {
  std::vector<const Table*> out;
  for (const auto& candidate : tables) {
    if (candidate.partitionOf && *candidate.partitionOf == table) {
      out.push_back(&candidate);
      for (const Table* below : partitionsOf(candidate.name)) {
        out.push_back(below);
      }
    }
  }
  return out;
}

const Table* Catalog::findTable(const std::string& name) const {
  auto it =
      std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == name; });
  return it == tables.end() ? nullptr : &*it;
}

}  // namespace tenantshift::plan
