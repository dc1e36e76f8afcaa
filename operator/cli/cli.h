#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tenantshift::cli {

// The `tenantshift` command line: parses `args` (without the program name), runs the command,
// writes results to `out` and errors to `err`, and returns the exit status
// (engine::exitCode of its engine::Outcome: 0 completed, 1 failed, 2 invalid input, ...).
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tenantshift::cli
