#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/postgres_server.h"

// pgbench (from the test server's PostgreSQL) as the application's workload.
namespace tenantshift::testing {

struct PgbenchScript {
  std::filesystem::path file;
  int weight = 1;  // pgbench's -f file@weight; 1 is passed as plain -f file
};

struct PgbenchOptions {
  std::string mode = "prepared";  // -M simple | extended | prepared
  int clients = 4;
  int transactionsPerClient = 25;
  std::vector<std::string> variables;  // each passed as -D name=value
};

// pgbench -n against `url` (which names the role to connect as).
CommandResult runPgbench(const std::string& url, const std::vector<PgbenchScript>& scripts,
                         const PgbenchOptions& options);

// gtest expectations: pgbench exited 0, processed every transaction and none failed.
void expectCleanPgbench(const CommandResult& result, int expectedTransactions);
// The same, as a value: what expectCleanPgbench would accept.
bool isCleanPgbench(const CommandResult& result, int expectedTransactions);

}  // namespace tenantshift::testing
