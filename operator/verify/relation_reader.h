#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "plan/plan.h"
#include "verify/relation_facts.h"

namespace tenantshift::verify {

// Reads every relation in scope (verify::buildScope: the planned tables, their partitions at
// every level, the tenants table) as it is now: RLS flags, owner, policies with their
// expressions, indexes, foreign keys, columns and the app role's privileges. `appOid` is the
// app role's oid ("0" when it does not exist).
std::vector<RelationFacts> readRelations(pqxx::transaction_base& tx, const api::MigrationSpec& spec,
                                         const plan::Plan& plan, const std::string& appOid);

}  // namespace tenantshift::verify
