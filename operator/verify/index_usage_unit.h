#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "verify/key_checks.h"
#include "verify/relation_facts.h"
#include "verify/verify_inputs.h"

namespace tenantshift::verify {

// The scans of an EXPLAIN (FORMAT JSON) plan: every node that reads a relation, with the index
// it reads it through (a Bitmap Heap Scan's index is its Bitmap Index Scan's).
std::vector<ScanNode> scansOf(const nlohmann::json& explain);

// EXPLAIN of SELECT * FROM table WHERE tenant = `tenant`, with sequential scans discouraged, in
// a transaction of its own.
IndexUsage observeIndexUsage(pqxx::connection& connection, const VerifyOptions& options,
                             const api::MigrationSpec& spec, const RelationFacts& table,
                             const std::string& tenant);

}  // namespace tenantshift::verify
