#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/run_observer.h"

namespace tenantshift::cli {

// Progress as plain structured log lines (key=value), for Jobs, CI and anything not a terminal.
// Backfill progress is logged at most every `interval` per step, and whenever the throttle
// changes state.
class LineProgress final : public engine::RunObserver {
 public:
  explicit LineProgress(std::chrono::milliseconds interval = std::chrono::seconds(10))
      : interval_(interval) {}

  void stepStarted(const plan::Step& step) override;
  void stepAlreadyDone(const plan::Step& step) override;
  void stepRetrying(const plan::Step& step, int attempt, const std::string& error,
                    std::chrono::milliseconds wait) override;
  void backfillProgress(const plan::Step& step, const engine::BackfillProgress& progress) override;
  void stepFinished(const plan::Step& step, std::int64_t rows,
                    std::chrono::milliseconds took) override;
  void stepFailed(const plan::Step& step, const std::string& error) override;

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point lastProgress_{};
  std::optional<analysis::ThrottleState> lastState_;
};

}  // namespace tenantshift::cli
