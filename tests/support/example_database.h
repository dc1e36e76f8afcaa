#pragma once

#include <filesystem>
#include <string>

// The AlphaPulse example (examples/alphapulse) as a test database.
namespace tenantshift::testing {

std::filesystem::path exampleDir();

// schema.sql then generate.sql at `scale` (psql -v scale=...) into the database at `url`, a
// database of PostgresServer::shared().
void loadExample(const std::string& url, const std::string& scale);

}  // namespace tenantshift::testing
