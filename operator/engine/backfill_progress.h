#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "analysis/baseline.h"
#include "analysis/throttle_controller.h"

namespace tenantshift::engine {

// Where one table's backfill stands and how fast it goes: shown by the progress display, saved
// in the ledger (tenantshift.backfill_progress) with every batch, read back by `status`.
struct BackfillProgress {
  std::string table;
  std::int64_t rowsScanned = 0;     // keys the keyset pass has covered (across resumed runs)
  std::int64_t rowsUpdated = 0;     // tenant ids filled (across resumed runs)
  std::int64_t estimatedTotal = 0;  // the table's rows (planner estimate)
  double rowsPerSecond = 0;         // keys covered per second, over the last 30 s
  std::optional<std::chrono::seconds> eta;  // at that rate; absent while unknown
  int batchSize = 0;                        // of the next batch (0: paused)
  std::chrono::milliseconds pause{0};       // before the next batch
  analysis::ThrottleState state = analysis::ThrottleState::Running;
  std::string reason;     // why that state
  bool sweeping = false;  // the keyset pass is over; sweeping rows written behind it
  bool finished = false;
  std::optional<analysis::Baseline> baseline;  // the latency probe's, when throttled on latency
  std::string updatedAt;                       // ISO 8601 (read from the ledger only)
};

}  // namespace tenantshift::engine
