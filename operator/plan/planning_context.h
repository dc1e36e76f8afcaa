#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "plan/catalog.h"
#include "plan/plan.h"

namespace tenantshift::plan {

// The tenants table as the plan uses it: created by the plan, or an existing one reused.
struct TenantsTable {
  std::string name;
  bool created = false;          // absent from the catalog: the plan creates it
  const Table* table = nullptr;  // the existing table, when reused
  std::string idColumn = "id";   // its single-column primary key
  bool hasSlug = true;
  bool hasName = true;
};

// One table the plan converts, with where its tenant comes from (resolved).
struct PlannedTable {
  const Table* table = nullptr;
  api::TenantSource::Kind kind = api::TenantSource::Kind::Default;
  std::string parent;                          // Kind::Parent
  std::vector<std::string> via;                // Kind::Parent: this table's columns
  std::vector<std::string> referencedColumns;  // Kind::Parent: the parent's columns
  std::string sourceForeignKey;                // Kind::Parent: the foreign key followed, if any
  bool nullableSource = false;                 // Kind::Parent: some `via` column is nullable
  std::vector<std::string> alternatives;       // candidate sources not chosen, with why
  std::string column;                          // Kind::Column
  bool explicitSource = false;                 // given in spec.tables[].from
  const Column* existingColumn = nullptr;      // the tenant column, when the table already had it
  const api::TableSpec* tableSpec = nullptr;   // its entry in spec.tables, when listed
  int specIndex = -1;                          // its index in spec.tables, when listed
  std::vector<const Table*> partitions;        // partitions covered by this (partitioned) table
  int depth = 0;                               // hops to a table with a default/column source
  std::string source;                          // for people: "parent users via (user_id)"
  std::string reason;                          // why this source

  const std::string& name() const { return table->name; }
};

// Everything the step builders share: the inputs and the resolved decisions.
struct PlanContext {
  const api::MigrationSpec& spec;
  const Catalog& catalog;
  std::string schema;
  std::string idType;  // "uuid", "bigint", "text"
  TenantsTable tenants;
  std::vector<PlannedTable> tables;  // in dependency order: parents first
  std::vector<std::string> notes;

  const PlannedTable* find(const std::string& name) const;

  // "schema"."name"
  std::string qualifiedName(const std::string& name) const;
  // The quoted tenant column.
  std::string column() const;
  // schema.name as text for to_regclass($n): each part quoted, so that odd names resolve.
  std::string regclassText(const std::string& name) const;
  // (SELECT NULLIF(current_setting('<setting>', true), '')::<type>): the session's tenant.
  std::string sessionTenant() const;
  // '<default id>'::<type>, for DDL that cannot take a parameter.
  std::string defaultTenantLiteral() const;
};

}  // namespace tenantshift::plan
