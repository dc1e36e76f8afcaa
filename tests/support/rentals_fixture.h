#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/postgres_server.h"

// The rentals chain (tests/fixtures/rentals): a realistic single-tenant database nobody designed
// for tenantshift, its manifest, the old application's pgbench workload and the independent
// checks of the conversion's result.
namespace tenantshift::realistic {

inline constexpr const char* kAppRole = "rentals_app";

// The tables the manifest converts (every table of public but the tenants table `branches` and
// the four excluded global tables).
extern const std::vector<std::string> kConvertedTables;

std::filesystem::path fixtureDir();
std::filesystem::path manifestPath();

// The database of `url` reached as the application's role (trust authentication).
std::string appUrl(const std::string& url);

// schema.sql and generate.sql at `scale`, then the snapshot phases of expected_tenant.sql and
// preserved_rows.sql (before any workload: they take the workload's ranges from the counts).
void loadRentals(const std::string& url, const std::string& scale);

// The id ranges of generate.sql the workload draws from (workload/README.md), read from the
// generated row counts: call right after loadRentals.
struct WorkloadRanges {
  std::int64_t customers = 0;
  std::int64_t stableCustomers = 0;
  std::int64_t inventory = 0;
  std::int64_t rentableInventory = 0;
  std::int64_t apiLogs = 0;
  std::int64_t stableApiLogs = 0;

  std::vector<std::string> pgbenchVariables() const;  // name=value for pgbench -D
};
WorkloadRanges workloadRanges(const std::string& url);

// The old application: workload/*.sql with their weights, as rentals_app, no tenant set.
// `transactionsPerClient` scripts per client.
tenantshift::testing::CommandResult runOldApplication(const std::string& url,
                                                      const WorkloadRanges& ranges,
                                                      const std::string& mode, int clients,
                                                      int transactionsPerClient);

// The tenant-aware application (workload/tenant_aware.sql, pgbench -M prepared): as rentals_app,
// each transaction setting its branch (2-4) with a bound parameter and upserting on the
// per-branch keys. `transactionsPerClient` scripts per client.
tenantshift::testing::CommandResult runTenantAwareApplication(const std::string& url, int clients,
                                                              int transactionsPerClient);

// One line of a check phase's output: the table, the row's key, and the rest (actual|expected,
// or what changed).
struct CheckLine {
  std::string table;
  std::string key;
  std::string detail;
};

// Runs the check phase of a fixture file (expected_tenant.sql, preserved_rows.sql) and adds a
// gtest failure per table with lines (their count and the first examples), or one with psql's
// error when the check cannot run. Returns the lines.
// `columns` names the fields after the key, for the message ("branch_id|expected").
std::vector<CheckLine> expectEmptyCheck(const std::string& url, const std::string& file,
                                        const std::string& what, const std::string& columns);

}  // namespace tenantshift::realistic
