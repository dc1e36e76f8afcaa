#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/json_optional.h"

namespace tenantshift::plan {

// A snapshot of the parts of one schema the planner needs. Pure data: read from PostgreSQL by
// db::CatalogReader, stored as JSON in the ledger when a migration starts (so that resuming and
// rolling back plan from the schema as it was before the migration, not as it is now), and
// built by hand in unit tests.

struct Column {
  std::string name;
  std::string type;  // format_type(), e.g. "bigint", "character varying(255)", "uuid"
  bool notNull = false;
  std::optional<std::string> defaultExpr;
  bool generated = false;  // GENERATED ALWAYS AS (...) STORED
};

struct ForeignKey {
  std::string name;
  std::vector<std::string> columns;  // in this table
  std::string referencedTable;       // same schema
  std::vector<std::string> referencedColumns;
  bool validated = true;
};

// A primary key, unique constraint or unique index.
struct UniqueKey {
  std::string name;                  // constraint name, or index name for a bare unique index
  std::string indexName;             // the index behind it
  std::vector<std::string> columns;  // empty entries for expression columns
  bool primary = false;
  bool constraint = false;  // true: a constraint (PRIMARY KEY / UNIQUE); false: CREATE UNIQUE INDEX
  bool hasExpressions = false;
  std::string predicate;  // partial index WHERE clause, empty when none
  std::string method = "btree";
  std::vector<std::string> referencedBy;  // names of foreign keys (any table) that use this key
};

struct Index {
  std::string name;
  std::vector<std::string> columns;
  bool unique = false;
  bool valid = true;
  std::string definition;  // pg_get_indexdef()
};

struct Table {
  std::string name;
  std::string owner;
  bool partitioned = false;                // relkind 'p'
  std::optional<std::string> partitionOf;  // set on partitions: the parent's name
  std::vector<Column> columns;
  std::vector<std::string> primaryKey;
  std::vector<ForeignKey> foreignKeys;
  std::vector<UniqueKey> uniqueKeys;  // includes the primary key
  std::vector<Index> indexes;
  bool rowSecurity = false;
  bool forceRowSecurity = false;
  std::vector<std::string> policies;
  std::int64_t estimatedRows = 0;

  const Column* findColumn(const std::string& column) const;
};

struct View {
  std::string name;
  std::vector<std::string> tables;  // tables of the schema the view reads (directly)
  bool materialized = false;
  bool securityInvoker = false;
};

struct Role {
  std::string name;
  bool superuser = false;
  bool bypassRls = false;
};

struct Catalog {
  std::string schema;
  int serverVersion = 150000;  // server_version_num
  std::vector<Table> tables;   // sorted by name
  std::vector<View> views;
  std::optional<Role> appRole;  // absent when the role does not exist

  const Table* findTable(const std::string& name) const;
};

void to_json(nlohmann::json& j, const Catalog& catalog);
void from_json(const nlohmann::json& j, Catalog& catalog);

}  // namespace tenantshift::plan
