#include "support/tenantshift_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/scratch_files.h"

extern char** environ;

namespace tenantshift::testing {

namespace fs = std::filesystem;

namespace {

int decodeStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return 128 + WTERMSIG(status);
}

}  // namespace

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

void TenantshiftProcess::thaw() {
  if (!status_) {
    ::kill(pid_, SIGCONT);
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

}  // namespace tenantshift::testing
