#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // A closed pipe (e.g. `tenantshift plan | head`) must not kill the process mid-write to the
  // database; writes to it fail instead.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  return tenantshift::cli::runCli(args, std::cout, std::cerr);
}
