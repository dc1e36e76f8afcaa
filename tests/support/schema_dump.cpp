#include "support/schema_dump.h"

#include <sstream>
#include <stdexcept>

#include "support/postgres_server.h"

namespace tenantshift::testing {

std::string schemaDump(const std::string& url) {
  const auto& server = PostgresServer::shared();
  auto dump = runCommand(shellQuote((server.binDir() / "pg_dump").string()) +
                         " --schema-only --schema=public -d " + shellQuote(url));
  if (dump.exitCode != 0) {
    throw std::runtime_error("pg_dump failed: " + dump.output);
  }
  std::istringstream lines(dump.output);
  std::string line;
  std::string kept;
  while (std::getline(lines, line)) {
    if (line.rfind("\\restrict ", 0) == 0 || line.rfind("\\unrestrict ", 0) == 0 ||
        line.rfind("-- Dumped from", 0) == 0 || line.rfind("-- Dumped by", 0) == 0) {
      continue;
    }
    kept += line + "\n";
  }
  return kept;
}

}  // namespace tenantshift::testing
