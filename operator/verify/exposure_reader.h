#pragma once

#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "verify/function_checks.h"
#include "verify/global_table_checks.h"
#include "verify/large_object_checks.h"
#include "verify/ledger_checks.h"
#include "verify/relation_facts.h"
#include "verify/role_attributes.h"
#include "verify/view_checks.h"

namespace tenantshift::verify {

// Everything that could be a path around the policies, read in one transaction.
struct ExposureFacts {
  std::vector<ViewFacts> views;
  std::vector<FunctionFacts> functions;
  RoleMap owners;  // the owners of those views and functions
  LedgerFacts ledger;
  std::vector<GlobalTableFacts> globalTables;
  LargeObjectFacts largeObjects;
};

// `relations` are the relations in scope (their oids start the view search); `appOid` is the
// app role's oid ("0" when it does not exist).
ExposureFacts readExposures(pqxx::transaction_base& tx, const std::string& schema,
                            const std::vector<RelationFacts>& relations, const std::string& appOid);

}  // namespace tenantshift::verify
