#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "plan/plan.h"
#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// Unique keys and indexes of one tenant table or partition (indexes a partition got from its
// parent are judged on the parent):
// - keys.unique: every unique key includes the tenant column, except the primary key (Accepted by
//   design: the existence of a primary key value in another tenant can be inferred),
//   spec.tables[].keepUnique (Accepted), and keys the plan rebuilds (plan.indexReplacements)
//   while not strict, whose replacement must exist and be valid; once strict they must be gone.
// - keys.leading-tenant: an index that does not lead with the tenant column lets the app role
//   count other tenants' rows (EXPLAIN ANALYZE's "Rows Removed by Filter"): Failed unless listed
//   in spec.tables[].keepIndexes (Accepted), rebuilt by the plan while not strict (Passed), or
//   the primary key (Accepted by design). A unique key that is itself global is reported once,
//   under keys.unique.
std::vector<CheckResult> checkKeys(const api::MigrationSpec& spec, const plan::Plan& plan,
                                   bool strict, const RelationFacts& relation);

// One scan of a query plan: the relation it reads and how.
struct ScanNode {
  std::string relation;  // "Relation Name" (a partition of the table, or the table)
  std::string schema;
  std::string nodeType;  // "Index Scan", "Seq Scan", ...
  std::string index;     // "" for scans that use no index
};

// EXPLAIN of SELECT * FROM table WHERE tenant = $1 with sequential scans discouraged.
struct IndexUsage {
  bool ran = false;
  std::string error;
  std::vector<ScanNode> scans;
};

// keys.tenant-filter: every relation a tenant-filtered query reads is read through an index
// leading with the tenant column. `relations` holds every relation in scope (partitions too).
CheckResult checkTenantFilter(const RelationFacts& table,
                              const std::vector<RelationFacts>& relations,
                              const std::string& specSchema, const IndexUsage& usage);

}  // namespace tenantshift::verify
