#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/example_database.h"
#include "support/queries.h"
#include "support/schema_dump.h"
#include "support/scratch_files.h"
#include "support/tenantshift_process.h"

// End-to-end helpers: the real `tenantshift` binary as a child process against the AlphaPulse
// example loaded into a real PostgreSQL (tests/support/postgres_server.h).
namespace tenantshift::clitest {

// Shared with the other integration binaries (tests/support).
using tenantshift::testing::CliResult;
using tenantshift::testing::databaseName;
using tenantshift::testing::exampleDir;
using tenantshift::testing::loadExample;
using tenantshift::testing::queryColumn;
using tenantshift::testing::queryInt;
using tenantshift::testing::queryValue;
using tenantshift::testing::readFile;
using tenantshift::testing::runTenantshift;
using tenantshift::testing::schemaDump;
using tenantshift::testing::ScratchDir;
using tenantshift::testing::TenantshiftProcess;
using tenantshift::testing::urlAs;
using tenantshift::testing::writeFile;

// The example's tenant tables (migration.yaml lists seven, the planner derives the other two)
// and the default tenant every existing row belongs to after the conversion.
extern const std::vector<std::string> kTenantTables;
inline constexpr const char* kDefaultTenant = "00000000-0000-0000-0000-000000000001";

// The example's migration.yaml with these settings substituted (each substitution is checked).
struct ManifestOptions {
  int batchSize = 5000;
  std::string pause = "20ms";
  std::string lockTimeout = "1s";
  int retries = 30;
  std::string bypassRole;  // empty: the spec's default
};
std::filesystem::path writeManifest(const std::filesystem::path& dir,
                                    const ManifestOptions& options,
                                    const std::string& fileName = "migration.yaml");
// The manifest at `yamlManifest` as JSON (what the operator mounts into a phase Job as
// migration.json), with metadata.namespace added as the API server has it.
std::filesystem::path writeJsonManifest(const std::filesystem::path& dir,
                                        const std::filesystem::path& yamlManifest,
                                        const std::string& fileName = "migration.json");
// `text` with the first occurrence of `from` replaced by `to`; throws when `from` is absent.
std::string replaceOnce(const std::string& text, const std::string& from, const std::string& to);

// Polls `condition` every 50 ms until it holds or `limit` passes; returns whether it held.
bool waitUntil(const std::function<bool()>& condition, std::chrono::seconds limit);

bool schemaExists(const std::string& url, const std::string& schema);

// Per table: "<count>:<md5 of every row as jsonb without the tenant column, in primary-key
// order>"; with includeTenant the tenant column is part of the rows.
std::map<std::string, std::string> dataChecksums(const std::string& url,
                                                 bool includeTenant = false);
// Names of indexes with indisvalid = false, comma-separated ("" when none).
std::string invalidIndexes(const std::string& url);
// Rows whose tenant is not the default tenant, per table (all zero after the example's run).
std::int64_t rowsOutsideDefaultTenant(const std::string& url);

// gtest assertions on the catalog of a fully converted example database: tenant_id NOT NULL
// with a validated FK to tenants, RLS enabled and forced, four tenantshift policies, no INVALID
// index, every non-primary unique index includes tenant_id.
void expectConvertedCatalog(const std::string& url);

// Schema dump of the example at scale 0.01 converted by one clean `tenantshift run`: the end
// state every interrupted conversion must reach. Computed once per test binary.
const std::string& cleanConversionDump();

// Waits (bounded) until no session holds the tenantshift advisory lock or runs a statement in
// the database of `url` other than the caller's: after a SIGKILL the server ends the killed
// client's sessions asynchronously.
void waitForKilledSessions(const std::string& url);

// What tenantshift's sessions in the database of `url` are doing (state, wait event, query):
// for failure messages.
std::string tenantshiftActivity(const std::string& url);

}  // namespace tenantshift::clitest
