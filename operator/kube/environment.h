#pragma once

#include <functional>
#include <optional>
#include <string>

namespace tenantshift::kube {

// Reads an environment variable: the process's, or a map in tests.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// std::getenv; an empty value counts as unset.
Environment processEnvironment();

}  // namespace tenantshift::kube
