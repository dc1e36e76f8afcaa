#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

// End-to-end helpers: the real `tenantshift` binary as a child process against the AlphaPulse
// example loaded into a real PostgreSQL (tests/support/postgres_server.h).
namespace tenantshift::clitest {

// The example's tenant tables (migration.yaml lists seven, the planner derives the other two)
// and the default tenant every existing row belongs to after the conversion.
extern const std::vector<std::string> kTenantTables;
inline constexpr const char* kDefaultTenant = "00000000-0000-0000-0000-000000000001";

std::filesystem::path exampleDir();

// A temporary directory removed when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

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
// Writes `text` to dir/fileName and returns the path.
std::filesystem::path writeFile(const std::filesystem::path& dir, const std::string& fileName,
                                const std::string& text);
std::string readFile(const std::filesystem::path& file);
// `text` with the first occurrence of `from` replaced by `to`; throws when `from` is absent.
std::string replaceOnce(const std::string& text, const std::string& from, const std::string& to);

// schema.sql then generate.sql at `scale` (psql -v scale=...).
void loadExample(const std::string& url, const std::string& scale);

// The database name of a URL made by PostgresServer (the path after the last '/').
std::string databaseName(const std::string& url);
// The same database reached as `user` (with `password` when not empty).
std::string urlAs(const std::string& url, const std::string& user, const std::string& password);

// `tenantshift ARGS` as a child process (fork + exec) with TENANTSHIFT_DATABASE_URL=url in its
// environment, stdin from /dev/null, stdout and stderr each into a file.
class TenantshiftProcess {
 public:
  TenantshiftProcess(const std::string& databaseUrl, const std::vector<std::string>& args);
  ~TenantshiftProcess();  // SIGKILLs and reaps a child still running
  TenantshiftProcess(const TenantshiftProcess&) = delete;
  TenantshiftProcess& operator=(const TenantshiftProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The exit status once the child has ended (128 + signal when killed), else nothing.
  std::optional<int> poll();
  int wait();
  // SIGSTOP: frozen, the child cannot react to anything until it is killed.
  void freeze();
  // SIGKILL, then reap; returns the status.
  int kill();
  std::string standardOutput() const;
  std::string standardError() const;
  // Everything the child wrote so far: stdout, then stderr (the log).
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path outFile_;
  std::filesystem::path errFile_;
};

struct CliResult {
  int exitCode = 0;
  std::string out;     // stdout: the command's result
  std::string err;     // stderr: the log and error messages
  std::string output;  // both
};
CliResult runTenantshift(const std::string& databaseUrl, const std::vector<std::string>& args);

// Polls `condition` every 50 ms until it holds or `limit` passes; returns whether it held.
bool waitUntil(const std::function<bool()>& condition, std::chrono::seconds limit);

// Queries as the superuser of `url` (pqxx; every call its own connection).
std::string queryValue(const std::string& url, const std::string& sql);  // NULL -> ""
std::int64_t queryInt(const std::string& url, const std::string& sql);
std::vector<std::string> queryColumn(const std::string& url, const std::string& sql);
bool schemaExists(const std::string& url, const std::string& schema);

// Per table: "<count>:<md5 of every row as jsonb without the tenant column, in primary-key
// order>"; with includeTenant the tenant column is part of the rows.
std::map<std::string, std::string> dataChecksums(const std::string& url,
                                                 bool includeTenant = false);
// pg_dump --schema-only --schema=public, without the lines that differ between two dumps of
// the same schema (version banner, the random \restrict key).
std::string schemaDump(const std::string& url);
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
