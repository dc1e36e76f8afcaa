#include "cli/progress_text.h"

#include <algorithm>
#include <cstdio>

#include "api/duration.h"

namespace tenantshift::cli {

std::string rateText(double rowsPerSecond) {
  char out[32];
  if (rowsPerSecond >= 10000) {
    std::snprintf(out, sizeof out, "%.1fk rows/s", rowsPerSecond / 1000);
  } else {
    std::snprintf(out, sizeof out, "%.0f rows/s", rowsPerSecond);
  }
  return out;
}

std::string etaText(const engine::BackfillProgress& progress) {
  if (progress.finished) {
    return "done";
  }
  if (!progress.eta) {
    return "ETA unknown";
  }
  return "ETA " + api::formatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::seconds(progress.eta->count())));
}

std::string rowsText(const engine::BackfillProgress& progress) {
  std::string out = std::to_string(progress.rowsScanned);
  if (progress.estimatedTotal > 0) {
    const double fraction = std::min(1.0, static_cast<double>(progress.rowsScanned) /
                                              static_cast<double>(progress.estimatedTotal));
    out += " / ~" + std::to_string(progress.estimatedTotal) + " rows (" +
           std::to_string(static_cast<int>(fraction * 100)) + "%)";
  } else {
    out += " rows";
  }
  return out;
}

}  // namespace tenantshift::cli
