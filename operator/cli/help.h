#pragma once

#include <string>

namespace tenantshift::cli {

// The --help text for `command` ("help" or "" for the general one).
std::string helpText(const std::string& command);

}  // namespace tenantshift::cli
