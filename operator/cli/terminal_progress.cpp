#include "cli/terminal_progress.h"

#include <algorithm>

#include "cli/progress_text.h"

namespace tenantshift::cli {

namespace {

std::string bar(double fraction, int width) {
  const auto filled = static_cast<std::size_t>(fraction * width);
  std::string out(static_cast<std::size_t>(width) + 2, '.');
  out.front() = '[';
  out.back() = ']';
  out.replace(1, filled, filled, '#');
  return out;
}

}  // namespace

void TerminalProgress::clearLiveLine() {
  if (liveLine_) {
    out_ << "\r\033[K";
    liveLine_ = false;
  }
}

void TerminalProgress::stepStarted(const plan::Step& step) {
  clearLiveLine();
  lastState_.reset();
  if (!anyStep_ || step.phase != lastPhase_) {
    out_ << "== " << plan::toString(step.phase) << "\n";
    lastPhase_ = step.phase;
    anyStep_ = true;
  }
  out_ << "   .. " << step.id << ": " << step.summary << "\r" << std::flush;
  liveLine_ = true;
}

void TerminalProgress::stepAlreadyDone(const plan::Step& step) {
  clearLiveLine();
  if (!anyStep_ || step.phase != lastPhase_) {
    out_ << "== " << plan::toString(step.phase) << "\n";
    lastPhase_ = step.phase;
    anyStep_ = true;
  }
  out_ << "   -- " << step.id << " (already done)\n";
}

void TerminalProgress::stepRetrying(const plan::Step& step, int attempt, const std::string& error,
                                    std::chrono::milliseconds wait) {
  clearLiveLine();
  out_ << "   !! " << step.id << ": attempt " << attempt << " waited too long for a lock (" << error
       << "); retrying in " << wait.count() << " ms\n";
}

void TerminalProgress::backfillProgress(const plan::Step& step,
                                        const engine::BackfillProgress& progress) {
  if (!lastState_ || *lastState_ != progress.state) {
    // A change of the throttle's state gets a line of its own, with the reason.
    if (lastState_ || progress.state != analysis::ThrottleState::Running) {
      clearLiveLine();
      out_ << "   ~~ " << step.id << " " << analysis::toString(progress.state) << ": "
           << progress.reason << "\n";
    }
    lastState_ = progress.state;
  }
  const double fraction = progress.estimatedTotal > 0
                              ? std::min(1.0, static_cast<double>(progress.rowsScanned) /
                                                  static_cast<double>(progress.estimatedTotal))
                              : 0.0;
  out_ << "\r\033[K   .. " << step.id << " " << bar(fraction, 30) << " " << rowsText(progress)
       << ", " << rateText(progress.rowsPerSecond) << ", " << etaText(progress) << ", "
       << (progress.sweeping ? "sweep" : "batch " + std::to_string(progress.batchSize)) << ", "
       << analysis::toString(progress.state) << std::flush;
  liveLine_ = true;
}

void TerminalProgress::stepFinished(const plan::Step& step, std::int64_t rows,
                                    std::chrono::milliseconds took) {
  clearLiveLine();
  out_ << "   ok " << step.id;
  if (rows > 0) {
    out_ << " (" << rows << " rows)";
  }
  out_ << " " << took.count() << " ms\n";
}

void TerminalProgress::stepFailed(const plan::Step& step, const std::string& error) {
  clearLiveLine();
  out_ << "   FAILED " << step.id << ": " << error << "\n";
}

}  // namespace tenantshift::cli
