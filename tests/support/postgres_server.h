#pragma once

#include <filesystem>
#include <string>

namespace tenantshift::testing {

// A real, throwaway PostgreSQL server for tests: initdb in a temp dir, started on a free loopback
// port, stopped (and its directory removed) when the test binary exits. One per test binary;
// each test creates its own database with createDatabase().
class PostgresServer {
 public:
  // Starts the server on first use.
  static PostgresServer& shared();

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:<port>/<database> (superuser, trust authentication)
  std::string url(const std::string& database = "postgres") const;
  // Creates a fresh database named after `prefix` plus a counter; returns its URL.
  std::string createDatabase(const std::string& prefix);
  // Runs psql with -v ON_ERROR_STOP=1 against `url`, feeding `sql`; throws on failure.
  void psql(const std::string& url, const std::string& sql) const;
  // Runs psql -f file.
  void psqlFile(const std::string& url, const std::filesystem::path& file) const;
  const std::filesystem::path& binDir() const { return binDir_; }

 private:
  PostgresServer();
  void stop();

  std::filesystem::path binDir_;
  std::filesystem::path dataDir_;
  int port_ = 0;
  int databaseCounter_ = 0;
};

// Runs a shell command; returns its exit status and captured stdout+stderr.
struct CommandResult {
  int exitCode = 0;
  std::string output;
};
CommandResult runCommand(const std::string& command);

// Single-quotes `text` for /bin/sh.
std::string shellQuote(const std::string& text);

}  // namespace tenantshift::testing
