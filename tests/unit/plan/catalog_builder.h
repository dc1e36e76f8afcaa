#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "plan/catalog.h"
#include "plan/plan.h"
#include "plan/sql_identifier.h"

namespace tenantshift::plan::testing {

// Builds schema shapes for planner tests by hand.
class TableBuilder {
 public:
  explicit TableBuilder(std::string name) { table_.name = std::move(name); }

  TableBuilder& column(std::string name, std::string type, bool notNull = false) {
    Column c;
    c.name = std::move(name);
    c.type = std::move(type);
    c.notNull = notNull;
    c.textLike = c.type == "text" || c.type.rfind("character", 0) == 0;
    table_.columns.push_back(std::move(c));
    return *this;
  }
  // A NOT NULL primary key column (or several), with its primary key constraint.
  TableBuilder& primaryKey(std::vector<std::pair<std::string, std::string>> columns) {
    UniqueKey key;
    key.name = table_.name + "_pkey";
    key.indexName = key.name;
    key.primary = true;
    key.constraint = true;
    for (auto& [name, type] : columns) {
      column(name, type, true);
      table_.primaryKey.push_back(name);
      key.columns.push_back(name);
      key.keyDefinitions.push_back(quoteIdent(name));
    }
    table_.uniqueKeys.push_back(key);
    addIndexOf(key, true);
    return *this;
  }
  TableBuilder& id(std::string type = "bigint") { return primaryKey({{"id", std::move(type)}}); }
  TableBuilder& foreignKey(std::string name, std::vector<std::string> columns,
                           std::string referencedTable,
                           std::vector<std::string> referencedColumns = {"id"}) {
    ForeignKey fk;
    fk.name = std::move(name);
    fk.columns = std::move(columns);
    fk.referencedTable = std::move(referencedTable);
    fk.referencedColumns = std::move(referencedColumns);
    table_.foreignKeys.push_back(std::move(fk));
    return *this;
  }
  TableBuilder& unique(std::string name, std::vector<std::string> columns, bool constraint = true) {
    UniqueKey key;
    key.name = name;
    key.indexName = name;
    key.columns = std::move(columns);
    for (const auto& c : key.columns) {
      key.keyDefinitions.push_back(quoteIdent(c));
    }
    key.constraint = constraint;
    table_.uniqueKeys.push_back(key);
    addIndexOf(key, false);
    return *this;
  }
  // A plain (not unique) btree index on `columns`.
  TableBuilder& index(std::string name, std::vector<std::string> columns,
                      std::string method = "btree") {
    Index index;
    index.name = std::move(name);
    index.columns = std::move(columns);
    for (const auto& c : index.columns) {
      index.keyDefinitions.push_back(quoteIdent(c));
    }
    index.method = std::move(method);
    table_.indexes.push_back(std::move(index));
    return *this;
  }
  Table& table() { return table_; }
  operator Table() const { return table_; }

 private:
  void addIndexOf(const UniqueKey& key, bool primary) {
    Index index;
    index.name = key.indexName;
    index.columns = key.columns;
    index.keyDefinitions = key.keyDefinitions;
    index.unique = true;
    index.primary = primary;
    index.constraint = key.constraint ? key.name : "";
    table_.indexes.push_back(std::move(index));
  }

  Table table_;
};

inline Catalog catalogOf(std::vector<Table> tables) {
  Catalog catalog;
  catalog.schema = "public";
  catalog.tables = std::move(tables);
  Role app;
  app.name = "app";
  catalog.appRole = app;
  return catalog;
}

inline api::MigrationSpec specFor(std::optional<std::vector<api::TableSpec>> tables = {}) {
  api::MigrationSpec spec;
  spec.database.appRole = "app";
  spec.tables = std::move(tables);
  return spec;
}

inline api::TableSpec fromParent(std::string name, std::string parent,
                                 std::vector<std::string> via) {
  api::TenantSource source;
  source.kind = api::TenantSource::Kind::Parent;
  source.parent = std::move(parent);
  source.via = std::move(via);
  api::TableSpec table;
  table.name = std::move(name);
  table.from = source;
  return table;
}

inline api::TableSpec fromColumn(std::string name, std::string column) {
  api::TenantSource source;
  source.kind = api::TenantSource::Kind::Column;
  source.column = std::move(column);
  api::TableSpec table;
  table.name = std::move(name);
  table.from = source;
  return table;
}

inline api::TableSpec listed(std::string name) {
  api::TableSpec table;
  table.name = std::move(name);
  return table;
}

inline const TableDecision* decisionFor(const Plan& plan, const std::string& table) {
  for (const auto& decision : plan.decisions) {
    if (decision.table == table) {
      return &decision;
    }
  }
  return nullptr;
}

inline std::ptrdiff_t positionOf(const Plan& plan, const std::string& id) {
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    if (plan.steps[i].id == id) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

inline std::string allSql(const Step& step) {
  std::string out;
  for (const auto& statement : step.up) {
    out += statement.sql + "\n";
  }
  for (const auto& statement : step.down) {
    out += statement.sql + "\n";
  }
  if (step.backfill) {
    out += step.backfill->firstBatchSql + "\n" + step.backfill->nextBatchSql + "\n" +
           step.backfill->sweepSql + "\n";
  }
  return out;
}

inline bool hasNoteContaining(const Plan& plan, const std::string& text) {
  for (const auto& note : plan.notes) {
    if (note.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace tenantshift::plan::testing
