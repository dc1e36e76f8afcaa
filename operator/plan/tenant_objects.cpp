#include "plan/tenant_objects.h"

#include "plan/object_names.h"

namespace tenantshift::plan {

std::string tenantFkName(const std::string& table) {
  return boundedName(table, "_tenant_fk");
}

std::string notNullCheckName(const std::string& table) {
  return boundedName(table, "_tenant_not_null");
}

std::string tenantIndexName(const std::string& table) {
  return boundedName(table, "_tenant_idx");
}

std::string triggerFunctionName(const std::string& table) {
  return boundedName("tenantshift_" + table, "_tenant");
}

std::string tenantMoveFunctionName(const std::string& table) {
  return boundedName("tenantshift_" + table, "_tenant_move");
}

std::string ownTriggerNamesArray() {
  // The names are plain lower-case identifiers: no element needs quoting in the literal.
  return std::string("{") + kTriggerName + "," + kTenantMoveTriggerName + "}";
}

std::string rewrittenUniqueName(const std::string& key) {
  return boundedName(key, "_tenant");
}

std::string restoredUniqueName(const std::string& key) {
  return boundedName(key, "_global");
}

const ForeignKey* existingTenantFk(const PlanContext& ctx, const Table& table) {
  for (const auto& fk : table.foreignKeys) {
    if (fk.referencedTable == ctx.tenants.name && fk.columns.size() == 1 &&
        fk.columns.front() == ctx.spec.tenant.column) {
      return &fk;
    }
  }
  return nullptr;
}

}  // namespace tenantshift::plan
