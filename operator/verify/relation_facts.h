#pragma once

#include <string>
#include <vector>

namespace tenantshift::verify {

// What a relation is to the verifier: a planned tenant table, a partition of one (at any level;
// a query naming a partition directly is filtered by the partition's own policies), or the
// tenants table (spec.tenant.table, whose tenant column is its id column).
enum class RelationKind { TenantTable, Partition, TenantsTable };

struct PolicyFacts {
  std::string name;
  char command = '*';  // pg_policy.polcmd: r (SELECT), a (INSERT), w (UPDATE), d (DELETE), * (ALL)
  bool permissive = true;
  bool appliesToApp = false;       // TO PUBLIC, the app role, or a role the app role is a member of
  std::vector<std::string> roles;  // "public" or role names
  std::string usingExpr;           // pg_get_expr(polqual); "" when none
  std::string checkExpr;           // pg_get_expr(polwithcheck); "" when none
};

struct IndexFacts {
  std::string name;
  std::string constraint;  // the PRIMARY KEY / UNIQUE constraint it backs; "" for a bare index
  bool unique = false;
  bool primary = false;
  bool valid = true;
  bool partial = false;
  bool attachedToParent = false;        // a partition's copy of its parent's index
  std::vector<std::string> keyColumns;  // "" for an expression
  std::string definition;               // pg_get_indexdef()
};

// A foreign key declared on the relation (PostgreSQL's per-partition clones are not listed).
struct ForeignKeyFacts {
  std::string name;
  std::vector<std::string> columns;
  std::string referencedSchema;
  std::string referencedTable;
  std::vector<std::string> referencedColumns;
  bool validated = true;
};

struct ColumnFacts {
  std::string name;
  bool generated = false;       // GENERATED ALWAYS AS (...): never inserted
  bool identityAlways = false;  // GENERATED ALWAYS AS IDENTITY: inserted with OVERRIDING
};

// What the application role may do with a relation (a table-level grant, through PUBLIC or a
// role it inherits).
struct AppAccess {
  bool select = false;
  bool insert = false;
  bool update = false;
  bool remove = false;  // DELETE
};

// One relation the verifier checks, as it is now in the database.
struct RelationFacts {
  std::string schema;
  std::string name;
  RelationKind kind = RelationKind::TenantTable;
  std::string root;          // the planned table it belongs to (itself for a planned table)
  std::string tenantColumn;  // spec.tenant.column; the id column for the tenants table
  bool exists = false;
  bool detached = false;  // listed as a partition by the plan, no longer attached
  bool partitioned = false;
  std::string oid;
  std::string owner;
  bool appActsAsOwner = false;  // the app role is the owner or a member of it
  bool rowSecurity = false;
  bool forceRowSecurity = false;
  bool hasTenantColumn = false;
  std::string tenantColumnType;  // format_type() of the tenant column
  std::vector<ColumnFacts> columns;
  std::vector<std::string> primaryKey;
  std::vector<PolicyFacts> policies;
  std::vector<IndexFacts> indexes;
  std::vector<ForeignKeyFacts> foreignKeys;
  AppAccess app;

  // The name people read: the bare name in the spec's schema, "schema.name" elsewhere.
  std::string label(const std::string& specSchema) const;
  // "schema"."name", for SQL.
  std::string qualified() const;
  const IndexFacts* findIndex(const std::string& indexName) const;
};

}  // namespace tenantshift::verify
