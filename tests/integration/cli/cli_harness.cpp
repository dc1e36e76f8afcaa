#include "cli_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/postgres_server.h"

extern char** environ;

namespace tenantshift::clitest {

namespace fs = std::filesystem;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::runCommand;
using tenantshift::testing::shellQuote;

const std::vector<std::string> kTenantTables = {
    "users",        "trading_accounts", "orders",    "trades", "positions", "portfolio_snapshots",
    "risk_metrics", "agent_signals",    "audit_logs"};

namespace {

// Tables whose data the conversion must keep: the tenant tables and the excluded bookkeeping
// table (feature_flags is left out: the flag phase changes it on purpose).
std::vector<std::string> checksummedTables() {
  std::vector<std::string> tables = kTenantTables;
  tables.push_back("alembic_version");
  return tables;
}

std::string primaryKeyOrder(const std::string& table) {
  return table == "alembic_version" ? "version_num" : "id";
}

fs::path makeTempPath(const std::string& pattern, bool directory) {
  std::string tmpl = (fs::temp_directory_path() / pattern).string();
  std::vector<char> buffer(tmpl.begin(), tmpl.end());
  buffer.push_back('\0');
  if (directory) {
    if (::mkdtemp(buffer.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    }
  } else {
    int fd = ::mkstemp(buffer.data());
    if (fd < 0) {
      throw std::runtime_error("mkstemp failed: " + std::string(std::strerror(errno)));
    }
    ::close(fd);
  }
  return fs::path(buffer.data());
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return 128 + WTERMSIG(status);
}

}  // namespace

fs::path exampleDir() {
  return fs::path(TENANTSHIFT_SOURCE_DIR) / "examples" / "alphapulse";
}

ScratchDir::ScratchDir() : path_(makeTempPath("tenantshift-cli-XXXXXX", true)) {}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path writeFile(const fs::path& dir, const std::string& fileName, const std::string& text) {
  fs::path file = dir / fileName;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + file.string());
  }
  return file;
}

std::string replaceOnce(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) {
    throw std::runtime_error("the example manifest no longer contains \"" + from +
                             "\": update the test's substitution");
  }
  std::string out = text;
  out.replace(at, from.size(), to);
  return out;
}

fs::path writeManifest(const fs::path& dir, const ManifestOptions& options,
                       const std::string& fileName) {
  std::string text = readFile(exampleDir() / "migration.yaml");
  text = replaceOnce(text, "    batchSize: 5000\n",
                     "    batchSize: " + std::to_string(options.batchSize) + "\n");
  text = replaceOnce(text, "    pause: 20ms\n", "    pause: " + options.pause + "\n");
  text =
      replaceOnce(text, "    lockTimeout: 1s\n", "    lockTimeout: " + options.lockTimeout + "\n");
  text = replaceOnce(text, "    retries: 30\n",
                     "    retries: " + std::to_string(options.retries) + "\n");
  if (!options.bypassRole.empty()) {
    text =
        replaceOnce(text, "  tenant:\n", "  tenant:\n    bypassRole: " + options.bypassRole + "\n");
  }
  return writeFile(dir, fileName, text);
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

std::string databaseName(const std::string& url) {
  return url.substr(url.rfind('/') + 1);
}

std::string urlAs(const std::string& url, const std::string& user, const std::string& password) {
  const auto& server = PostgresServer::shared();
  return "postgresql://" + user + (password.empty() ? "" : ":" + password) +
         "@127.0.0.1:" + std::to_string(server.port()) + "/" + databaseName(url);
}

TenantshiftProcess::TenantshiftProcess(const std::string& databaseUrl,
                                       const std::vector<std::string>& args)
    : outFile_(makeTempPath("tenantshift-cli-out-XXXXXX", false)),
      errFile_(makeTempPath("tenantshift-cli-err-XXXXXX", false)) {
  // Everything the child needs is prepared before fork: after it, only exec-safe calls.
  std::vector<std::string> argvStrings;
  argvStrings.emplace_back(TENANTSHIFT_BINARY);
  argvStrings.insert(argvStrings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argvStrings) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);

  std::vector<std::string> envStrings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable(*entry);
    if (variable.rfind("TENANTSHIFT_DATABASE_URL=", 0) == 0 ||
        variable.rfind("DATABASE_URL=", 0) == 0) {
      continue;
    }
    envStrings.push_back(variable);
  }
  envStrings.push_back("TENANTSHIFT_DATABASE_URL=" + databaseUrl);
  std::vector<char*> envp;
  for (auto& variable : envStrings) {
    envp.push_back(variable.data());
  }
  envp.push_back(nullptr);

  const int outFd = ::open(outFile_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  const int errFd = ::open(errFile_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  const int nullFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (outFd < 0 || errFd < 0 || nullFd < 0) {
    throw std::runtime_error("cannot open the child's output file or /dev/null");
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  }
  if (pid_ == 0) {
    ::dup2(nullFd, STDIN_FILENO);
    ::dup2(outFd, STDOUT_FILENO);
    ::dup2(errFd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(outFd);
  ::close(errFd);
  ::close(nullFd);
}

TenantshiftProcess::~TenantshiftProcess() {
  if (pid_ > 0 && !status_) {
    kill();
  }
  std::error_code ignored;
  fs::remove(outFile_, ignored);
  fs::remove(errFile_, ignored);
}

std::optional<int> TenantshiftProcess::poll() {
  if (!status_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = decodeStatus(status);
    }
  }
  return status_;
}

int TenantshiftProcess::wait() {
  while (!status_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, 0);
    if (done == pid_) {
      status_ = decodeStatus(status);
    } else if (done < 0 && errno != EINTR) {
      throw std::runtime_error("waitpid failed: " + std::string(std::strerror(errno)));
    }
  }
  return *status_;
}

void TenantshiftProcess::freeze() {
  if (!status_) {
    ::kill(pid_, SIGSTOP);
  }
}

int TenantshiftProcess::kill() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
  }
  return wait();
}

std::string TenantshiftProcess::standardOutput() const {
  return readFile(outFile_);
}

std::string TenantshiftProcess::standardError() const {
  return readFile(errFile_);
}

std::string TenantshiftProcess::output() const {
  return standardOutput() + standardError();
}

CliResult runTenantshift(const std::string& databaseUrl, const std::vector<std::string>& args) {
  TenantshiftProcess process(databaseUrl, args);
  CliResult result;
  result.exitCode = process.wait();
  result.out = process.standardOutput();
  result.err = process.standardError();
  result.output = result.out + result.err;
  return result;
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string queryValue(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  const pqxx::row row = tx.exec1(sql);
  return row[0].is_null() ? "" : row[0].as<std::string>();
}

std::int64_t queryInt(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<std::int64_t>();
}

std::vector<std::string> queryColumn(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  std::vector<std::string> values;
  for (const auto& row : tx.exec(sql)) {
    values.push_back(row[0].is_null() ? "" : row[0].as<std::string>());
  }
  return values;
}

bool schemaExists(const std::string& url, const std::string& schema) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  return tx.exec_params1("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema)[0]
             .as<int>() == 1;
}

std::map<std::string, std::string> dataChecksums(const std::string& url, bool includeTenant) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  std::map<std::string, std::string> sums;
  for (const auto& table : checksummedTables()) {
    const std::string row = includeTenant ? "to_jsonb(t)" : "(to_jsonb(t) - 'tenant_id')";
    const pqxx::row result =
        tx.exec1("SELECT count(*)::text || ':' || coalesce(md5(string_agg(" + row +
                 "::text, '|' ORDER BY " + tx.quote_name(primaryKeyOrder(table)) +
                 ")), '') FROM public." + tx.quote_name(table) + " AS t");
    sums[table] = result[0].as<std::string>();
  }
  return sums;
}

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

std::string invalidIndexes(const std::string& url) {
  return queryValue(url,
                    "SELECT coalesce(string_agg(indexrelid::regclass::text, ', '), '') "
                    "FROM pg_index WHERE NOT indisvalid");
}

std::int64_t rowsOutsideDefaultTenant(const std::string& url) {
  std::string sql = "SELECT 0";
  for (const auto& table : kTenantTables) {
    sql += " + (SELECT count(*) FROM public." + table + " WHERE tenant_id IS DISTINCT FROM '" +
           std::string(kDefaultTenant) + "')";
  }
  return queryInt(url, sql);
}

void expectConvertedCatalog(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  for (const auto& table : kTenantTables) {
    SCOPED_TRACE("table " + table);
    const std::string qualified = "public." + table;
    const pqxx::result column = tx.exec_params(
        "SELECT a.attnotnull, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = $1::regclass AND a.attname = 'tenant_id' AND NOT a.attisdropped",
        qualified);
    ASSERT_EQ(column.size(), 1u) << "no tenant_id column";
    EXPECT_TRUE(column[0][0].as<bool>()) << "tenant_id is nullable";
    EXPECT_EQ(column[0][1].as<std::string>(), "uuid");

    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM pg_constraint c "
                              "JOIN pg_attribute a ON a.attrelid = c.conrelid "
                              "AND a.attnum = ANY (c.conkey) AND a.attname = 'tenant_id' "
                              "WHERE c.conrelid = $1::regclass AND c.contype = 'f' "
                              "AND c.confrelid = 'public.tenants'::regclass AND c.convalidated",
                              qualified)[0]
                  .as<int>(),
              1)
        << "no validated foreign key of tenant_id to tenants";

    const pqxx::row rls = tx.exec_params1(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass",
        qualified);
    EXPECT_TRUE(rls[0].as<bool>()) << "row-level security not enabled";
    EXPECT_TRUE(rls[1].as<bool>()) << "row-level security not forced";

    EXPECT_EQ(tx.exec_params1("SELECT string_agg(cmd, ',' ORDER BY cmd) FROM pg_policies "
                              "WHERE schemaname = 'public' AND tablename = $1 "
                              "AND policyname LIKE 'tenantshift%'",
                              table)[0]
                  .as<std::string>(""),
              "DELETE,INSERT,SELECT,UPDATE");

    const pqxx::result globalUniques = tx.exec_params(
        "SELECT i.indexrelid::regclass::text FROM pg_index i "
        "WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = i.indrelid "
        "AND a.attname = 'tenant_id' AND a.attnum = ANY (i.indkey::int2[]))",
        qualified);
    for (const auto& index : globalUniques) {
      ADD_FAILURE() << "unique index " << index[0].as<std::string>()
                    << " does not include tenant_id";
    }
  }
  EXPECT_EQ(tx.exec1("SELECT coalesce(string_agg(indexrelid::regclass::text, ', '), '') "
                     "FROM pg_index WHERE NOT indisvalid")[0]
                .as<std::string>(),
            "")
      << "INVALID indexes left behind";
}

const std::string& cleanConversionDump() {
  static const std::string dump = [] {
    auto& server = PostgresServer::shared();
    const std::string url = server.createDatabase("cli_reference");
    loadExample(url, "0.01");
    ScratchDir dir;
    const auto manifest = writeManifest(dir.path(), ManifestOptions{});
    const auto run = runTenantshift(url, {"run", "-f", manifest.string()});
    if (run.exitCode != 0) {
      throw std::runtime_error("the clean reference conversion failed (exit " +
                               std::to_string(run.exitCode) + "):\n" + run.output);
    }
    return schemaDump(url);
  }();
  return dump;
}

void waitForKilledSessions(const std::string& url) {
  const bool gone = waitUntil(
      [&] {
        return queryInt(url,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND application_name = 'tenantshift'") == 0;
      },
      std::chrono::seconds(30));
  if (!gone) {
    throw std::runtime_error("sessions of the killed tenantshift are still open after 30 s");
  }
}

std::string tenantshiftActivity(const std::string& url) {
  std::string activity;
  for (const auto& line :
       queryColumn(url,
                   "SELECT format('pid %s %s wait=%s/%s: %s', pid, state, wait_event_type, "
                   "wait_event, left(query, 300)) FROM pg_stat_activity "
                   "WHERE datname = current_database() AND application_name = 'tenantshift'")) {
    activity += line + "\n";
  }
  return activity.empty() ? "(no tenantshift session)\n" : activity;
}

}  // namespace tenantshift::clitest
