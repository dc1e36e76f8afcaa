#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "plan/plan.h"
#include "verify/relation_facts.h"

namespace tenantshift::verify {

// A partition of a planned table as the database has it now.
struct LivePartition {
  std::string schema;
  std::string name;
};

// A planned table and its partitions at every level, as the database has them now.
struct LiveTable {
  std::string name;
  std::vector<LivePartition> partitions;
};

// One relation the verifier checks, before its facts are read.
struct ScopeEntry {
  std::string schema;
  std::string name;
  RelationKind kind = RelationKind::TenantTable;
  std::string root;
  std::string tenantColumn;
  bool detached = false;  // a partition the plan lists that the live tree no longer has
};

// Every planned table, each followed by its partitions (the live ones, then those the plan
// lists that are no longer attached), and last the tenants table. Each relation once.
std::vector<ScopeEntry> buildScope(const api::MigrationSpec& spec, const plan::Plan& plan,
                                   const std::vector<LiveTable>& live);

}  // namespace tenantshift::verify
