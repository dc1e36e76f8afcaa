#include "support/rentals_fixture.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <stdexcept>

#include "support/pgbench.h"
#include "support/queries.h"

namespace tenantshift::realistic {

namespace fs = std::filesystem;
using tenantshift::testing::CommandResult;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::queryInt;
using tenantshift::testing::runCommand;
using tenantshift::testing::shellQuote;

const std::vector<std::string> kConvertedTables = {"stores",    "staff",
                                                   "customers", "inventory",
                                                   "coupons",   "rentals",
                                                   "payments",  "api_logs",
                                                   "notes",     "loyalty_cards",
                                                   "terminals", "ratings",
                                                   "audit_log", "Gift Cards \"VIP\""};

namespace {

std::string psqlCommand(const std::string& url) {
  const auto& server = PostgresServer::shared();
  return shellQuote((server.binDir() / "psql").string()) + " -X -q -v ON_ERROR_STOP=1 -d " +
         shellQuote(url);
}

void runFixtureFile(const std::string& url, const std::string& file, const std::string& variables) {
  const auto result = runCommand(psqlCommand(url) + variables + " -f " +
                                 shellQuote((fixtureDir() / file).string()));
  if (result.exitCode != 0) {
    throw std::runtime_error(file + " failed: " + result.output);
  }
}

}  // namespace

fs::path fixtureDir() {
  return fs::path(TENANTSHIFT_SOURCE_DIR) / "tests" / "fixtures" / "rentals";
}

fs::path manifestPath() {
  return fixtureDir() / "migration.yaml";
}

std::string appUrl(const std::string& url) {
  return tenantshift::testing::urlAs(url, kAppRole, "");
}

void loadRentals(const std::string& url, const std::string& scale) {
  runFixtureFile(url, "schema.sql", "");
  runFixtureFile(url, "generate.sql", " -v scale=" + shellQuote(scale));
  runFixtureFile(url, "expected_tenant.sql", " -v phase=snapshot");
  runFixtureFile(url, "preserved_rows.sql", " -v phase=snapshot");
}

std::vector<std::string> WorkloadRanges::pgbenchVariables() const {
  return {"customers=" + std::to_string(customers),
          "stable_customers=" + std::to_string(stableCustomers),
          "inventory=" + std::to_string(inventory),
          "rentable_inventory=" + std::to_string(rentableInventory),
          "api_logs=" + std::to_string(apiLogs),
          "stable_api_logs=" + std::to_string(stableApiLogs)};
}

WorkloadRanges workloadRanges(const std::string& url) {
  WorkloadRanges ranges;
  ranges.customers = queryInt(url, "SELECT count(*) FROM public.customers");
  ranges.stableCustomers = ranges.customers - ranges.customers / 50;
  ranges.inventory = queryInt(url, "SELECT count(*) FROM public.inventory");
  ranges.rentableInventory = ranges.inventory - ranges.inventory / 10;
  ranges.apiLogs = queryInt(url, "SELECT count(*) FROM public.api_logs");
  ranges.stableApiLogs = ranges.apiLogs - ranges.apiLogs / 10;
  return ranges;
}

CommandResult runOldApplication(const std::string& url, const WorkloadRanges& ranges,
                                const std::string& mode, int clients, int transactionsPerClient) {
  const fs::path dir = fixtureDir() / "workload";
  return tenantshift::testing::runPgbench(
      appUrl(url),
      {{dir / "rent.sql", 4},
       {dir / "stock.sql", 2},
       {dir / "customers.sql", 2},
       {dir / "logs.sql", 2}},
      {mode, clients, transactionsPerClient, ranges.pgbenchVariables()});
}

CommandResult runTenantAwareApplication(const std::string& url, int clients,
                                        int transactionsPerClient) {
  return tenantshift::testing::runPgbench(appUrl(url),
                                          {{fixtureDir() / "workload" / "tenant_aware.sql", 1}},
                                          {"prepared", clients, transactionsPerClient, {}});
}

std::vector<CheckLine> expectEmptyCheck(const std::string& url, const std::string& file,
                                        const std::string& what, const std::string& columns) {
  const auto result = runCommand(psqlCommand(url) + " -At -F '|' -v phase=check -f " +
                                 shellQuote((fixtureDir() / file).string()));
  if (result.exitCode != 0) {
    ADD_FAILURE() << file << " (" << what << ") could not run: " << result.output;
    return {};
  }
  std::vector<CheckLine> lines;
  std::istringstream text(result.output);
  std::string line;
  while (std::getline(text, line)) {
    if (line.empty()) {
      continue;
    }
    CheckLine parsed;
    const auto first = line.find('|');
    const auto second = first == std::string::npos ? first : line.find('|', first + 1);
    parsed.table = line.substr(0, first);
    if (first != std::string::npos) {
      parsed.key =
          line.substr(first + 1, second == std::string::npos ? second : second - first - 1);
    }
    if (second != std::string::npos) {
      parsed.detail = line.substr(second + 1);
    }
    lines.push_back(std::move(parsed));
  }
  std::map<std::string, std::vector<const CheckLine*>> byTable;
  for (const auto& parsed : lines) {
    byTable[parsed.table].push_back(&parsed);
  }
  for (const auto& [table, rows] : byTable) {
    std::ostringstream examples;
    for (std::size_t i = 0; i < rows.size() && i < 5; ++i) {
      examples << "\n    " << rows[i]->key << ": " << rows[i]->detail;
    }
    ADD_FAILURE() << what << ": table " << table << ", " << rows.size()
                  << " row(s), e.g. (key: " << columns << ")" << examples.str();
  }
  return lines;
}

}  // namespace tenantshift::realistic
