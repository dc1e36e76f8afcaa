#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tenantshift::cli {

// The `tenantshift` command line: parses `args` (without the program name), runs the command,
// writes results to `out` and errors to `err`, and returns the exit status
// (0 done, 1 the operation failed, 2 bad command line or manifest).
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tenantshift::cli
