#include "cli/line_progress.h"

#include <spdlog/spdlog.h>

namespace tenantshift::cli {

void LineProgress::stepStarted(const plan::Step& step) {
  lastState_.reset();
  spdlog::info("step started step={} phase={} lock={}", step.id, plan::toString(step.phase),
               plan::toString(step.lock));
  lastProgress_ = std::chrono::steady_clock::now();
}

void LineProgress::stepAlreadyDone(const plan::Step& step) {
  spdlog::info("step already done step={}", step.id);
}

void LineProgress::stepRetrying(const plan::Step& step, int attempt, const std::string& error,
                                std::chrono::milliseconds wait) {
  spdlog::warn("step retrying step={} attempt={} wait_ms={} error=\"{}\"", step.id, attempt,
               wait.count(), error);
}

void LineProgress::backfillProgress(const plan::Step& step,
                                    const engine::BackfillProgress& progress) {
  const bool changed = !lastState_ || *lastState_ != progress.state;
  lastState_ = progress.state;
  auto now = std::chrono::steady_clock::now();
  if (!changed && now - lastProgress_ < interval_) {
    return;
  }
  lastProgress_ = now;
  spdlog::info(
      "backfill progress step={} rows_scanned={} rows_done={} estimated_total={} "
      "rows_per_second={:.0f} eta_s={} batch_size={} pause_ms={} sweeping={} throttle={} "
      "reason=\"{}\"",
      step.id, progress.rowsScanned, progress.rowsUpdated, progress.estimatedTotal,
      progress.rowsPerSecond, progress.eta ? std::to_string(progress.eta->count()) : "unknown",
      progress.batchSize, progress.pause.count(), progress.sweeping,
      analysis::toString(progress.state), progress.reason);
}

void LineProgress::stepFinished(const plan::Step& step, std::int64_t rows,
                                std::chrono::milliseconds took) {
  spdlog::info("step done step={} rows={} duration_ms={}", step.id, rows, took.count());
}

void LineProgress::stepFailed(const plan::Step& step, const std::string& error) {
  spdlog::error("step failed step={} error=\"{}\"", step.id, error);
}

}  // namespace tenantshift::cli
