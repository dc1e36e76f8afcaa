#pragma once

#include <string>
#include <vector>

#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// A tenant table as a correct migration leaves it: RLS enabled and forced, tenantshift's four
// policies TO PUBLIC, the tenant column, every privilege for the app role.
inline RelationFacts tenantTable(const std::string& name) {
  RelationFacts table;
  table.schema = "public";
  table.name = name;
  table.root = name;
  table.kind = RelationKind::TenantTable;
  table.tenantColumn = "tenant_id";
  table.exists = true;
  table.oid = "16384";
  table.owner = "owner";
  table.rowSecurity = true;
  table.forceRowSecurity = true;
  table.hasTenantColumn = true;
  table.tenantColumnType = "uuid";
  table.primaryKey = {"id"};
  table.columns = {{"id", false, false}, {"tenant_id", false, false}};
  table.app = {true, true, true, true};
  const char commands[] = {'r', 'a', 'w', 'd'};
  const char* names[] = {"tenantshift_select", "tenantshift_insert", "tenantshift_update",
                         "tenantshift_delete"};
  for (int i = 0; i < 4; ++i) {
    PolicyFacts policy;
    policy.name = names[i];
    policy.command = commands[i];
    policy.appliesToApp = true;
    policy.roles = {"public"};
    policy.usingExpr = commands[i] == 'a' ? "" : "COND";
    policy.checkExpr = commands[i] == 'a' || commands[i] == 'w' ? "COND" : "";
    table.policies.push_back(policy);
  }
  return table;
}

inline IndexFacts index(const std::string& name, std::vector<std::string> columns,
                        bool unique = false) {
  IndexFacts out;
  out.name = name;
  out.keyColumns = std::move(columns);
  out.unique = unique;
  return out;
}

inline const CheckResult* findResult(const std::vector<CheckResult>& results,
                                     const std::string& check) {
  for (const CheckResult& item : results) {
    if (item.check == check) {
      return &item;
    }
  }
  return nullptr;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace tenantshift::verify
