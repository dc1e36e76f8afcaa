#include "analysis/millis_text.h"

#include <cmath>
#include <cstdio>

namespace tenantshift::analysis {

std::string millisText(double millis) {
  if (std::isinf(millis)) {
    return "failing";
  }
  char out[32];
  if (millis < 10) {
    std::snprintf(out, sizeof out, "%.2f ms", millis);
  } else if (millis < 100) {
    std::snprintf(out, sizeof out, "%.1f ms", millis);
  } else {
    std::snprintf(out, sizeof out, "%.0f ms", millis);
  }
  return out;
}

}  // namespace tenantshift::analysis
