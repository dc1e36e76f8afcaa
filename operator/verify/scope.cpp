#include "verify/scope.h"

#include <set>
#include <utility>

namespace tenantshift::verify {

std::vector<ScopeEntry> buildScope(const api::MigrationSpec& spec, const plan::Plan& plan,
                                   const std::vector<LiveTable>& live) {
  const std::string& schema = spec.database.schema;
  std::vector<ScopeEntry> out;
  std::set<std::pair<std::string, std::string>> seen;
  auto add = [&](ScopeEntry entry) {
    if (seen.insert({entry.schema, entry.name}).second) {
      out.push_back(std::move(entry));
    }
  };
  for (const plan::TableDecision& decision : plan.decisions) {
    add({schema, decision.table, RelationKind::TenantTable, decision.table, spec.tenant.column,
         false});
    for (const LiveTable& table : live) {
      if (table.name != decision.table) {
        continue;
      }
      for (const LivePartition& partition : table.partitions) {
        add({partition.schema, partition.name, RelationKind::Partition, decision.table,
             spec.tenant.column, false});
      }
    }
    for (const std::string& partition : decision.partitions) {
      add({schema, partition, RelationKind::Partition, decision.table, spec.tenant.column, true});
    }
  }
  // The tenants table's tenant column is its id column, known once its facts are read.
  add({schema, spec.tenant.table, RelationKind::TenantsTable, spec.tenant.table, "", false});
  return out;
}

}  // namespace tenantshift::verify
