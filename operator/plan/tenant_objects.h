#pragma once

#include <string>

#include "plan/catalog.h"
#include "plan/planning_context.h"

namespace tenantshift::plan {

// Names of the objects the plan creates for a table, each within PostgreSQL's 63 bytes and
// stable for a given table name (the ledger and resumed runs rely on it).
std::string tenantFkName(const std::string& table);
std::string notNullCheckName(const std::string& table);
std::string tenantIndexName(const std::string& table);
std::string triggerFunctionName(const std::string& table);
inline constexpr const char* kTriggerName = "tenantshift_tenant";
// The tenant-move guard (tenant_move_guard.h): its name sorts after kTriggerName, so that among
// BEFORE triggers it fires after the one that may change the tenant.
std::string tenantMoveFunctionName(const std::string& table);
inline constexpr const char* kTenantMoveTriggerName = "tenantshift_tenant_move";
// Every trigger tenantshift creates, as a PostgreSQL array literal for a bind parameter
// (`tgname <> ALL ($n::name[])`): the catalog queries that look for the application's own
// triggers leave these out, all of them, from one list.
std::string ownTriggerNamesArray();
std::string rewrittenUniqueName(const std::string& key);  // the new unique index
std::string restoredUniqueName(const std::string& key);   // rollback: the original shape again

// An existing foreign key of the tenant column to the tenants table, when the table had one.
const ForeignKey* existingTenantFk(const PlanContext& ctx, const Table& table);

// The four policies, in order SELECT, INSERT, UPDATE, DELETE.
struct PolicyKind {
  const char* name;
  const char* command;
  bool usingClause;
  bool checkClause;
};
inline constexpr PolicyKind kPolicies[] = {
    {"tenantshift_select", "SELECT", true, false},
    {"tenantshift_insert", "INSERT", false, true},
    {"tenantshift_update", "UPDATE", true, true},
    {"tenantshift_delete", "DELETE", true, false},
};

}  // namespace tenantshift::plan
