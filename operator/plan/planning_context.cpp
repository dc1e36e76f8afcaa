#include "plan/planning_context.h"

#include <algorithm>

#include "plan/sql_identifier.h"

namespace tenantshift::plan {

const PlannedTable* PlanContext::find(const std::string& name) const {
  auto it = std::find_if(tables.begin(), tables.end(),
                         [&](const PlannedTable& t) { return t.name() == name; });
  return it == tables.end() ? nullptr : &*it;
}

std::string PlanContext::qualifiedName(const std::string& name) const {
  return qualified(schema, name);
}

std::string PlanContext::column() const {
  return quoteIdent(spec.tenant.column);
}

std::string PlanContext::regclassText(const std::string& name) const {
  return qualified(schema, name);
}

std::string PlanContext::sessionTenant() const {
  return "(SELECT NULLIF(current_setting(" + quoteLiteral(spec.tenant.setting) +
         ", true), '')::" + idType + ")";
}

std::string PlanContext::defaultTenantLiteral() const {
  return quoteLiteral(spec.tenant.defaultTenant.id) + "::" + idType;
}

}  // namespace tenantshift::plan
