#include "support/pgbench.h"

#include <gtest/gtest.h>

#include <regex>

namespace tenantshift::testing {

CommandResult runPgbench(const std::string& url, const std::vector<PgbenchScript>& scripts,
                         const PgbenchOptions& options) {
  const auto& server = PostgresServer::shared();
  std::string command = shellQuote((server.binDir() / "pgbench").string()) + " -n -M " +
                        options.mode + " -c " + std::to_string(options.clients) + " -t " +
                        std::to_string(options.transactionsPerClient);
  for (const auto& script : scripts) {
    std::string file = script.file.string();
    if (script.weight != 1) {
      file += "@" + std::to_string(script.weight);
    }
    command += " -f " + shellQuote(file);
  }
  for (const auto& variable : options.variables) {
    command += " -D " + shellQuote(variable);
  }
  return runCommand(command + " " + shellQuote(url));
}

void expectCleanPgbench(const CommandResult& result, int expectedTransactions) {
  EXPECT_EQ(result.exitCode, 0) << result.output;
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(result.output, match, std::regex(R"(actually processed: (\d+)/(\d+))")))
      << result.output;
  EXPECT_EQ(match[1].str(), std::to_string(expectedTransactions)) << result.output;
  EXPECT_EQ(match[2].str(), std::to_string(expectedTransactions)) << result.output;
  ASSERT_TRUE(std::regex_search(result.output, match,
                                std::regex(R"(number of failed transactions: (\d+))")))
      << result.output;
  EXPECT_EQ(match[1].str(), "0") << result.output;
}

bool isCleanPgbench(const CommandResult& result, int expectedTransactions) {
  std::smatch processed;
  std::smatch failed;
  const std::string expected = std::to_string(expectedTransactions);
  return result.exitCode == 0 &&
         std::regex_search(result.output, processed,
                           std::regex(R"(actually processed: (\d+)/(\d+))")) &&
         processed[1].str() == expected && processed[2].str() == expected &&
         std::regex_search(result.output, failed,
                           std::regex(R"(number of failed transactions: (\d+))")) &&
         failed[1].str() == "0";
}

}  // namespace tenantshift::testing
