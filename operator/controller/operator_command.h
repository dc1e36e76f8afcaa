#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tenantshift::controller {

// `tenantshift operator [flags]`: watches TenantMigrations and drives each through its phases
// as Jobs until SIGTERM or SIGINT. Returns the process exit code (2 for bad flags).
int runOperator(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The text of `tenantshift operator --help`.
std::string operatorHelp();

}  // namespace tenantshift::controller
