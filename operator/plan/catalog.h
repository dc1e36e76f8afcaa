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

// Catalog text pasted into DDL (defaults, predicates, key definitions, constraint definitions)
// is PostgreSQL's own deparsing (pg_get_expr, pg_get_indexdef, pg_get_constraintdef,
// format_type), read with search_path = pg_catalog so that every name in it is qualified.

struct Column {
  std::string name;
  std::string type;  // format_type(), e.g. "bigint", "character varying(255)", "uuid"
  bool notNull = false;
  std::optional<std::string> defaultExpr;
  bool generated = false;  // GENERATED ALWAYS AS (...) STORED
  bool identity = false;   // GENERATED ... AS IDENTITY
  int maxLength = 0;       // n of character varying(n) / character(n); 0: unbounded or not text
  bool textLike = false;   // a string type (typcategory 'S')
};

struct ForeignKey {
  std::string name;
  std::vector<std::string> columns;  // in this table
  std::string referencedTable;       // same schema; "schema.name" for another schema
  std::vector<std::string> referencedColumns;
  bool validated = true;
  std::string definition;  // pg_get_constraintdef(): "FOREIGN KEY (a) REFERENCES s.t(id) ..."
  std::string onDelete = "NO ACTION";  // NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT
  std::string onUpdate = "NO ACTION";
  std::vector<std::string> onDeleteColumns;  // ON DELETE SET NULL/DEFAULT (columns), PG 15+
  bool matchFull = false;
  bool deferrable = false;
  bool initiallyDeferred = false;
  std::string referencedIndex;  // the parent's unique index the foreign key uses
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
  // pg_get_indexdef(index, n, true) per key column: the column or expression with its collation,
  // operator class and ordering, as PostgreSQL prints them.
  std::vector<std::string> keyDefinitions;
  std::vector<std::string> includeColumns;  // INCLUDE (...)
  bool nullsNotDistinct = false;            // PG 15+
  bool deferrable = false;                  // constraints only
  bool initiallyDeferred = false;
};

struct Index {
  std::string name;
  std::vector<std::string> columns;  // key columns; "" for an expression
  bool unique = false;
  bool valid = true;
  std::string definition;  // pg_get_indexdef()
  bool primary = false;
  std::string constraint;  // the constraint it backs (primary key, unique, exclusion), if any
  std::string method = "btree";
  std::vector<std::string> keyDefinitions;  // as in UniqueKey
  std::vector<std::string> includeColumns;
  std::string predicate;
  bool nullsNotDistinct = false;
  std::optional<std::string> partitionOf;  // an index attached to a partitioned index
};

// A row-level trigger of the application (tenantshift's own are not listed).
struct Trigger {
  std::string name;
  char enabled = 'O';  // pg_trigger.tgenabled: O origin, D disabled, R replica, A always
  bool internal = false;
  bool onInsert = false;  // fires for INSERT
  std::string function;   // its function, as regprocedure: "public.touch()"
  std::string functionOwner;
  // The application role is a member of the function's owner: it may replace the function.
  bool appCanReplaceFunction = false;
};

// What the application role may do with a relation: has_table_privilege() for each privilege
// (through PUBLIC and role membership too), and which of them come from a grant that a REVOKE
// from the role itself, or from PUBLIC, would remove.
struct AppPrivileges {
  std::vector<std::string> effective;  // "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", ...
  std::vector<std::string> direct;     // granted to the application role by name
  std::vector<std::string> viaPublic;  // granted to PUBLIC
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
  std::vector<std::string> partitionKey;  // column names of the partition key (partitioned only)
  std::vector<Trigger> triggers;
  AppPrivileges appPrivileges;

  const Column* findColumn(const std::string& column) const;
  const Index* findIndex(const std::string& index) const;
  const ForeignKey* findForeignKey(const std::string& name) const;
  bool appCan(const std::string& privilege) const;
};

// A view or materialized view of the schema, or of another schema when it reads (directly or
// through other views) a table of the schema.
struct View {
  std::string name;
  // Empty: the catalog's schema (so in snapshots taken before other schemas' views were read).
  std::string schema;
  std::vector<std::string> tables;  // tables of the catalog's schema the view reads (directly)
  bool materialized = false;
  bool securityInvoker = false;
  // Views and materialized views it reads directly, by key (below).
  std::vector<std::string> views;
  std::string owner;
  bool ownerBypassesRls = false;  // the owner is a superuser or BYPASSRLS
  AppPrivileges appPrivileges;

  // How the catalog, the plan's step ids and spec.accept name it: its name in the catalog's
  // schema `catalogSchema`, "schema.name" in another.
  std::string key(const std::string& catalogSchema) const;
};

// A SECURITY DEFINER function in a schema the application role can use.
struct Function {
  std::string schema;
  std::string name;
  std::string arguments;  // pg_get_function_identity_arguments(): "customer_id integer"
  std::string signature;  // name(argument types), as spec.accept.functions may name it
  std::string owner;
  bool ownerBypassesRls = false;
  bool appCanExecute = false;
  bool returnsTrigger = false;  // cannot be called directly
};

struct Role {
  std::string name;
  bool superuser = false;
  bool bypassRls = false;
  std::vector<std::string> memberOf;  // roles whose privileges it has (inherited, recursively)
};

struct Catalog {
  std::string schema;
  int serverVersion = 150000;  // server_version_num
  std::vector<Table> tables;   // sorted by name
  std::vector<View> views;
  std::vector<Function> securityDefinerFunctions;
  std::optional<Role> appRole;  // absent when the role does not exist

  const Table* findTable(const std::string& name) const;
  const View* findView(const std::string& key) const;  // by View::key
  // "schema"."name" of `view`.
  std::string qualifiedName(const View& view) const;
  // The partitions of `table` at every level (depth first), and the leaves among them.
  std::vector<const Table*> partitionsOf(const std::string& table) const;
};

void to_json(nlohmann::json& j, const Catalog& catalog);
void from_json(const nlohmann::json& j, Catalog& catalog);

}  // namespace tenantshift::plan
