#include "cli/terminal_progress.h"

#include <algorithm>

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

void TerminalProgress::backfillProgress(const plan::Step& step, std::int64_t rowsDone,
                                        std::int64_t estimatedTotal) {
  double fraction =
      estimatedTotal > 0
          ? std::min(1.0, static_cast<double>(rowsDone) / static_cast<double>(estimatedTotal))
          : 0.0;
  out_ << "\r\033[K   .. " << step.id << " " << bar(fraction, 30) << " " << rowsDone;
  if (estimatedTotal > 0) {
    out_ << " / ~" << estimatedTotal;
  }
  out_ << " rows" << std::flush;
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
