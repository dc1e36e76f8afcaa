#pragma once

#include <cstdint>
#include <string>
#include <vector>

// Reaching a test database made by PostgresServer (tests/support/postgres_server.h).
namespace tenantshift::testing {

// The database name of a URL made by PostgresServer (the path after the last '/').
std::string databaseName(const std::string& url);
// The same database reached as `user` (with `password` when not empty).
std::string urlAs(const std::string& url, const std::string& user, const std::string& password);

// Queries as the user of `url` (pqxx; every call its own connection).
std::string queryValue(const std::string& url, const std::string& sql);  // NULL -> ""
std::int64_t queryInt(const std::string& url, const std::string& sql);
std::vector<std::string> queryColumn(const std::string& url, const std::string& sql);

}  // namespace tenantshift::testing
