#pragma once

#include <string>

namespace tenantshift::testing {

// pg_dump --schema-only --schema=public of the database of `url` (from the test server's
// PostgreSQL), without the lines that differ between two dumps of the same schema (version
// banner, the random \restrict key). Throws when pg_dump fails.
std::string schemaDump(const std::string& url);

}  // namespace tenantshift::testing
