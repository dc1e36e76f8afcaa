#pragma once

namespace tenantshift::cli {

// "tenantshift <version>", as printed by --version.
const char* versionLine();

}  // namespace tenantshift::cli
