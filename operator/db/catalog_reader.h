#pragma once

#include <chrono>
#include <pqxx/pqxx>
#include <string>

#include "plan/catalog.h"

namespace tenantshift::db {

// Reads the snapshot of `schema` the planner needs: tables (ordinary and partitioned; partitions
// marked with their parent), columns, primary/unique keys and unique indexes, foreign keys,
// indexes, RLS flags and policies, views with the tables they read and security_invoker, and
// the application role's attributes. Skips the ledger schema `tenantshift`.
// Reading expressions (pg_get_expr) takes ACCESS SHARE locks on the tables: with a positive
// `lockTimeout` it gives up (SQLSTATE 55P03) rather than queue behind an ACCESS EXCLUSIVE lock.
plan::Catalog readCatalog(pqxx::connection& connection, const std::string& schema,
                          const std::string& appRole,
                          std::chrono::milliseconds lockTimeout = std::chrono::milliseconds{0});

}  // namespace tenantshift::db
