#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tenantshift::testing {

// `tenantshift ARGS` (the binary built with the tests) as a child process (fork + exec) with
// TENANTSHIFT_DATABASE_URL=url in its environment, stdin from /dev/null, stdout and stderr each
// into a file.
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
  // SIGCONT: a frozen child goes on.
  void thaw();
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
// Runs `tenantshift ARGS` to its end.
CliResult runTenantshift(const std::string& databaseUrl, const std::vector<std::string>& args);

}  // namespace tenantshift::testing
