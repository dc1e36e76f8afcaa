#include "cli/version.h"

namespace tenantshift::cli {

const char* versionLine() {
  return "tenantshift " TENANTSHIFT_VERSION;
}

}  // namespace tenantshift::cli
