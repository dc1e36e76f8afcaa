#include "support/example_database.h"

#include <stdexcept>

#include "support/postgres_server.h"

namespace tenantshift::testing {

std::filesystem::path exampleDir() {
  return std::filesystem::path(TENANTSHIFT_SOURCE_DIR) / "examples" / "alphapulse";
}

void loadExample(const std::string& url, const std::string& scale) {
  const auto& server = PostgresServer::shared();
  const std::string psql = shellQuote((server.binDir() / "psql").string()) +
                           " -X -q -v ON_ERROR_STOP=1 -d " + shellQuote(url);
  auto schema = runCommand(psql + " -f " + shellQuote((exampleDir() / "schema.sql").string()));
  if (schema.exitCode != 0) {
    throw std::runtime_error("schema.sql failed: " + schema.output);
  }
  auto data = runCommand(psql + " -v scale=" + shellQuote(scale) + " -f " +
                         shellQuote((exampleDir() / "generate.sql").string()));
  if (data.exitCode != 0) {
    throw std::runtime_error("generate.sql failed: " + data.output);
  }
}

}  // namespace tenantshift::testing
