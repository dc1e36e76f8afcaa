#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "engine/backfill_progress.h"
#include "plan/step.h"

namespace tenantshift::engine {

// Receives what the engine does as it does it: a terminal progress display, plain log lines,
// or (later) the operator's status conditions. Called on the engine's thread.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void stepStarted(const plan::Step& step) = 0;
  virtual void stepAlreadyDone(const plan::Step& step) = 0;
  virtual void stepRetrying(const plan::Step& step, int attempt, const std::string& error,
                            std::chrono::milliseconds wait) = 0;
  // After every backfill batch (and while the throttle holds the backfill back).
  virtual void backfillProgress(const plan::Step& step, const BackfillProgress& progress) = 0;
  virtual void stepFinished(const plan::Step& step, std::int64_t rows,
                            std::chrono::milliseconds took) = 0;
  virtual void stepFailed(const plan::Step& step, const std::string& error) = 0;
};

// An observer that ignores everything (for callers that only want the result).
class SilentObserver final : public RunObserver {
 public:
  void stepStarted(const plan::Step&) override {}
  void stepAlreadyDone(const plan::Step&) override {}
  void stepRetrying(const plan::Step&, int, const std::string&,
                    std::chrono::milliseconds) override {}
  void backfillProgress(const plan::Step&, const BackfillProgress&) override {}
  void stepFinished(const plan::Step&, std::int64_t, std::chrono::milliseconds) override {}
  void stepFailed(const plan::Step&, const std::string&) override {}
};

}  // namespace tenantshift::engine
