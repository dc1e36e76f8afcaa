#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include "engine/run_observer.h"

namespace tenantshift::cli {

// Progress for a person at a terminal: one line per step, a live bar for backfills.
class TerminalProgress final : public engine::RunObserver {
 public:
  explicit TerminalProgress(std::ostream& out) : out_(out) {}

  void stepStarted(const plan::Step& step) override;
  void stepAlreadyDone(const plan::Step& step) override;
  void stepRetrying(const plan::Step& step, int attempt, const std::string& error,
                    std::chrono::milliseconds wait) override;
  void backfillProgress(const plan::Step& step, const engine::BackfillProgress& progress) override;
  void stepFinished(const plan::Step& step, std::int64_t rows,
                    std::chrono::milliseconds took) override;
  void stepFailed(const plan::Step& step, const std::string& error) override;

 private:
  void clearLiveLine();

  std::ostream& out_;
  bool liveLine_ = false;
  plan::Phase lastPhase_ = plan::Phase::Schema;
  bool anyStep_ = false;
  std::optional<analysis::ThrottleState> lastState_;  // of the backfill shown
};

}  // namespace tenantshift::cli
