#include "support/postgres_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace tenantshift::testing {

namespace fs = std::filesystem;

namespace {

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    throw std::runtime_error("socket() failed while looking for a free port");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("could not bind a loopback port");
  }
  int port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

fs::path findPostgresBinDir() {
  if (const char* configured = std::getenv("TENANTSHIFT_PG_BINDIR")) {
    return configured;
  }
  fs::path best;
  if (fs::exists("/usr/lib/postgresql")) {
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
      fs::path candidate = entry.path() / "bin";
      if (fs::exists(candidate / "postgres") && (best.empty() || candidate > best)) {
        best = candidate;
      }
    }
  }
  if (best.empty()) {
    throw std::runtime_error(
        "no PostgreSQL server found under /usr/lib/postgresql; run scripts/setup first");
  }
  return best;
}

// initdb and postgres refuse to run as root: run them as the `postgres` system user then.
std::string asServerUser(const std::string& command) {
  if (::geteuid() != 0) {
    return command;
  }
  return "runuser -u postgres -- " + command;
}

}  // namespace

std::string shellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

CommandResult runCommand(const std::string& command) {
  CommandResult result;
  std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("popen failed for: " + command);
  }
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() : binDir_(findPostgresBinDir()) {
  std::string tmpl = (fs::temp_directory_path() / "tenantshift-pg-XXXXXX").string();
  std::vector<char> buffer(tmpl.begin(), tmpl.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for the test PostgreSQL directory");
  }
  dataDir_ = fs::path(buffer.data());
  if (::geteuid() == 0) {
    runCommand("chown postgres " + shellQuote(dataDir_.string()));
  }
  fs::path pgdata = dataDir_ / "data";
  auto init = runCommand(asServerUser(shellQuote((binDir_ / "initdb").string()) + " -D " +
                                      shellQuote(pgdata.string()) +
                                      " -A trust -U postgres --no-sync -E UTF8 --locale=C"));
  if (init.exitCode != 0) {
    throw std::runtime_error("initdb failed:\n" + init.output);
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = freeLoopbackPort();
    std::string options = "-p " + std::to_string(port_) + " -k " + dataDir_.string() +
                          " -c listen_addresses=127.0.0.1 -c fsync=off"
                          " -c synchronous_commit=off -c full_page_writes=off"
                          " -c max_connections=200 -c shared_buffers=256MB";
    auto start = runCommand(asServerUser(shellQuote((binDir_ / "pg_ctl").string()) + " -D " +
                                         shellQuote(pgdata.string()) + " -l " +
                                         shellQuote((dataDir_ / "server.log").string()) + " -o " +
                                         shellQuote(options) + " -w -t 60 start"));
    if (start.exitCode == 0) {
      return;
    }
  }
  std::ifstream log(dataDir_ / "server.log");
  std::string logText((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  throw std::runtime_error("PostgreSQL did not start:\n" + logText);
}

PostgresServer::~PostgresServer() {
  stop();
}

void PostgresServer::stop() {
  if (dataDir_.empty()) {
    return;
  }
  runCommand(asServerUser(shellQuote((binDir_ / "pg_ctl").string()) + " -D " +
                          shellQuote((dataDir_ / "data").string()) + " -m immediate -w stop"));
  std::error_code ignored;
  fs::remove_all(dataDir_, ignored);
  dataDir_.clear();
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::createDatabase(const std::string& prefix) {
  std::string name =
      prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++databaseCounter_);
  psql(url(), "CREATE DATABASE \"" + name + "\"");
  return url(name);
}

void PostgresServer::psql(const std::string& target, const std::string& sql) const {
  auto result = runCommand("printf '%s' " + shellQuote(sql) + " | " +
                           shellQuote((binDir_ / "psql").string()) +
                           " -X -q -v ON_ERROR_STOP=1 -d " + shellQuote(target) + " -f -");
  if (result.exitCode != 0) {
    throw std::runtime_error("psql failed: " + result.output);
  }
}

void PostgresServer::psqlFile(const std::string& target, const fs::path& file) const {
  auto result =
      runCommand(shellQuote((binDir_ / "psql").string()) + " -X -q -v ON_ERROR_STOP=1 -d " +
                 shellQuote(target) + " -f " + shellQuote(file.string()));
  if (result.exitCode != 0) {
    throw std::runtime_error("psql -f " + file.string() + " failed: " + result.output);
  }
}

}  // namespace tenantshift::testing
