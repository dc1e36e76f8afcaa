#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "plan/plan.h"

namespace tenantshift::verify {

// What the verdict depends on, by name.
struct FingerprintScope {
  std::string schema;
  std::vector<std::string> tables;  // the planned tables (their partitions are found live)
  std::string tenantsTable;
  std::string appRole;
  std::string setting;
};

FingerprintScope fingerprintScope(const api::MigrationSpec& spec, const plan::Plan& plan);

// A stable hash (md5) over everything the verify verdict depends on, and nothing it does not
// (no data, no statistics, no oids): the tenant tables, their partitions and the tenants table
// (columns, constraints, indexes, policies with their expressions, RLS flags, owners, ACLs,
// partition bounds), the views and materialized views (options, owners, ACLs, definitions), the
// SECURITY DEFINER functions (owners, ACLs), the schemas' ACLs, the tables of the schema
// (owners, ACLs), the app role's attributes and memberships and those of the owners involved,
// the ledger schema's objects and ACLs, the role and database settings of the tenant setting,
// and the privileges of the large-object functions. When it changes, verify must run again.
std::string schemaFingerprint(pqxx::transaction_base& tx, const FingerprintScope& scope);

// The same, in a read-only transaction of its own.
std::string schemaFingerprint(pqxx::connection& connection, const FingerprintScope& scope);

}  // namespace tenantshift::verify
