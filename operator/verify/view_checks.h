#pragma once

#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "verify/relation_facts.h"
#include "verify/role_attributes.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// A view or materialized view (any schema) that reads, directly or through other views, a
// relation in scope.
struct ViewFacts {
  std::string schema;
  std::string name;
  bool materialized = false;
  bool securityInvoker = false;
  std::string owner;
  bool appCanSelect = false;
  std::vector<std::string> readsRelations;  // labels of relations in scope it reads directly
  std::vector<std::string> readsViews;      // keys (schema.name) of views it reads directly

  std::string key() const { return schema + "." + name; }
  std::string label(const std::string& specSchema) const;
};

// exposure.view and exposure.matview, one result per view that reaches tenant data:
// - a view the app role cannot read: Passed;
// - security_invoker (and every view below it filtered too): Passed;
// - run as an owner (its own, or that of a definer view above) that bypasses row-level security
//   (superuser, BYPASSRLS, owner of a table it reads that is not FORCE'd): Failed unless the
//   definer view is in spec.accept.views (Accepted);
// - run as an owner that does not bypass: Passed (filtered by the same session setting);
// - a materialized view, or a view reading one: it stores every tenant's rows; Failed unless in
//   spec.accept.materializedViews (Accepted).
std::vector<CheckResult> checkViews(const api::MigrationSpec& spec,
                                    const std::vector<ViewFacts>& views, const RoleMap& roles,
                                    const std::vector<RelationFacts>& relations);

}  // namespace tenantshift::verify
