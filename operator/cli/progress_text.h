#pragma once

#include <string>

#include "engine/backfill_progress.h"

namespace tenantshift::cli {

// "45.6k rows/s", "812 rows/s"
std::string rateText(double rowsPerSecond);
// "ETA 3m12s", "ETA unknown"
std::string etaText(const engine::BackfillProgress& progress);
// "1234567 / ~10000000 rows (12%)", or without a total when the estimate is 0.
std::string rowsText(const engine::BackfillProgress& progress);

}  // namespace tenantshift::cli
