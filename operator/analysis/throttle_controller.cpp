#include "analysis/throttle_controller.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "analysis/millis_text.h"

namespace tenantshift::analysis {

namespace {

constexpr int kQuietDecisionsToGrow = 5;
// Windows in a row over the limit before the backfill slows down: a window of 100 samples is
// over its p99 limit when 2 of them are, which scheduler noise alone does now and then (a
// recorded series, tests/unit/analysis/data, slowed down six times in a healthy minute on one
// window); the application suffering from the backfill is over the limit window after window.
constexpr int kWindowsOverToSlowDown = 2;
constexpr int kMaxStepsUp = 3;
// Windows within in a row before the level goes back down to the harmful one: at first, and at
// most (doubling each time it had to be left again).
constexpr int kFirstRetryWindows = 4;
constexpr int kMaxRetryWindows = 64;
// The tail-share test counts at most this many windows of samples at one level: older counts
// are halved, so that a level held for long still notices a change in the application.
constexpr std::size_t kTailWindows = 10;
// A tail share above the reference but not beyond chance keeps the level while it rests on fewer
// than this many windows of samples; past that, a share chance still explains is no reason to
// stay slow.
constexpr std::size_t kTailHoldWindows = 5;
constexpr double kStuckFactor = 10;
constexpr double kStuckMinimumMillis = 100;

// Pause after a batch at `level`, as a multiple of the batch's duration.
double pauseRatio(int level) {
  return level <= 0 ? 0.0 : std::ldexp(1.0, level - 2);
}

// Batch size divisor at `level`.
int batchDivisor(int level) {
  return level <= 0 ? 1 : 1 << (level / 2);
}

std::string secondsText(std::chrono::milliseconds duration) {
  return millisText(static_cast<double>(duration.count()));
}

std::string ratioText(double ratio) {
  char out[32];
  std::snprintf(out, sizeof out, "%g", ratio);
  return out;
}

}  // namespace

std::string_view toString(ThrottleState state) {
  switch (state) {
    case ThrottleState::Measuring:
      return "measuring";
    case ThrottleState::Running:
      return "running";
    case ThrottleState::Slowed:
      return "slowed";
    case ThrottleState::PausedForLag:
      return "paused-for-lag";
  }
  return "running";
}

std::optional<ThrottleState> throttleStateFromString(std::string_view text) {
  for (ThrottleState state : {ThrottleState::Measuring, ThrottleState::Running,
                              ThrottleState::Slowed, ThrottleState::PausedForLag}) {
    if (toString(state) == text) {
      return state;
    }
  }
  return std::nullopt;
}

ThrottleController::ThrottleController(const ThrottleSettings& settings,
                                       std::optional<Baseline> baseline, TimePoint start)
    : settings_(settings),
      baseline_(std::move(baseline)),
      lastChange_(start),
      judgedAfter_(start),
      tailCountedUntil_(start),
      retryWindows_(kFirstRetryWindows) {
  settings_.maxLevel = std::max(1, settings_.maxLevel);
  settings_.recheck = std::max(std::chrono::milliseconds(1), settings_.recheck);
  settings_.windowSamples = std::max<std::size_t>(1, settings_.windowSamples);
  if (baseline_) {
    level_ = std::clamp(settings_.startLevel, 0, settings_.maxLevel);
    if (!baseline_->millis.empty()) {
      tail_ = tailShareReference(*baseline_, settings_.latencyLimit);
    }
  }
  if (level_ > 0) {
    latencyReason_ = "slow start: one level faster per window of " +
                     std::to_string(settings_.windowSamples) + " probe samples within the limit";
  }
}

void ThrottleController::changeLevel(int level, TimePoint now) {
  level_ = level;
  lastChange_ = now;
  judgeFrom(now, true);
  countTailFrom(now, true);
}

void ThrottleController::countTailFrom(TimePoint after, bool settle) {
  tailCountedUntil_ = after;
  tailSettling_ = settle ? settings_.windowSamples / 5 : 0;
  tailSamples_ = 0;
  tailAbove_ = 0;
  exposure_ = BatchExposure{};
}

void ThrottleController::countTail(const ThrottleInputs& inputs) {
  if (!tail_) {
    return;
  }
  for (const auto& sample : inputs.samples) {
    if (sample.finishedAt <= tailCountedUntil_) {
      continue;
    }
    tailCountedUntil_ = sample.finishedAt;
    if (tailSettling_ > 0) {
      --tailSettling_;
      continue;
    }
    const bool slow = aboveThreshold(*tail_, sample);
    ++tailSamples_;
    tailAbove_ += slow ? 1 : 0;
    exposure_.count(batches_.beside(sample), slow);
  }
  if (tailSamples_ > kTailWindows * settings_.windowSamples) {
    tailSamples_ /= 2;
    tailAbove_ /= 2;
    exposure_.halve();
  }
}

bool ThrottleController::newestWindowElevated(const std::vector<LatencySample>& window) const {
  return judgeTailShare(*tail_, window.size(), countAbove(*tail_, window), 0).verdict !=
         TailVerdict::Within;
}

TailShareJudgement ThrottleController::judgeTail() const {
  if (!tail_) {
    return {};
  }
  return judgeTailShare(*tail_, tailSamples_, tailAbove_, settings_.windowSamples);
}

void ThrottleController::judgeFrom(TimePoint after, bool settle) {
  judgedAfter_ = after;
  settle_ = settle;
  windowsOver_ = 0;
  windowsWithin_ = 0;
}

void ThrottleController::raise(int steps, TimePoint now) {
  if (harmfulLevel_ && level_ <= *harmfulLevel_) {
    // Back at (or below) the level that hurt before, and it hurts again: wait longer next time.
    retryWindows_ = std::min(kMaxRetryWindows, retryWindows_ * 2);
  }
  harmfulLevel_ = level_;
  changeLevel(std::min(settings_.maxLevel, level_ + steps), now);
}

int ThrottleController::windowsWithinToSpeedUp() const {
  return harmfulLevel_ && level_ - 1 <= *harmfulLevel_ ? retryWindows_ : 1;
}

void ThrottleController::judgeLatency(const ThrottleInputs& inputs) {
  if (!baseline_) {
    return;
  }
  countTail(inputs);
  // The samples taken after judgedAfter_, but for the first fifth of a window after a change:
  // those still show the previous level's effect (the application has not caught up yet).
  std::vector<LatencySample> fresh;
  std::size_t settling = settle_ ? settings_.windowSamples / 5 : 0;
  for (const auto& sample : inputs.samples) {
    if (sample.finishedAt <= judgedAfter_) {
      continue;
    }
    if (settling > 0) {
      --settling;
      continue;
    }
    fresh.push_back(sample);
  }
  // Whole windows of samples since the last judgement: a decision after a long pause (at the
  // slowest levels, maxPause) may look at more than one.
  const int windows = std::max<int>(1, static_cast<int>(fresh.size() / settings_.windowSamples));
  if (fresh.size() > settings_.windowSamples) {
    fresh.erase(fresh.begin(), fresh.end() - static_cast<std::ptrdiff_t>(settings_.windowSamples));
  }
  const LatencyJudgement judgement =
      analysis::judgeLatency(*baseline_, fresh, settings_.latencyLimit, settings_.windowSamples);
  const double allowed = allowedP99(*baseline_, settings_.latencyLimit);
  // A probe that has been running since after the last change for ten times the allowed p99
  // (and at least 100 ms) is stuck, whatever it answers: without this a probe waiting for a lock
  // would never be judged. (One probe just above the p99 is what a p99 means: 1 in 100.)
  if (inputs.probeRunningSince && *inputs.probeRunningSince > lastChange_) {
    const double running = millisBetween(*inputs.probeRunningSince, inputs.now);
    if (running > std::max(kStuckFactor * allowed, kStuckMinimumMillis) &&
        level_ < settings_.maxLevel) {
      raise(1, inputs.now);
      latencyReason_ = "the latency probe has not answered for " + millisText(running) + " (" +
                       millisText(allowed) + " allowed)";
      return;
    }
  }
  if (judgement.verdict == Verdict::Insufficient) {
    return;
  }
  const LatencyLimit& limit = settings_.latencyLimit;
  latencyReason_ = "probe " + judgement.describe(*baseline_, limit);
  const TailShareJudgement tail = judgeTail();
  const bool tailOver = tail.verdict == TailVerdict::Over;
  const bool exceeded = judgement.verdict == Verdict::Exceeded || tailOver;
  // More slow samples than the baseline had, not yet beyond chance: no speed-up on this
  // evidence; the next windows add to it.
  const bool holding = !exceeded && tail.verdict == TailVerdict::Elevated &&
                       newestWindowElevated(fresh) &&
                       tail.samples < kTailHoldWindows * settings_.windowSamples;
  if (tailOver || tail.verdict == TailVerdict::Elevated) {
    latencyReason_ += "; " + tail.describe(*tail_, limit);
    if (holding) {
      latencyReason_ += " (more than the baseline's, not yet beyond chance: level kept until " +
                        std::to_string(kTailHoldWindows * settings_.windowSamples) + " samples)";
    }
    latencyReason_ += "; " + exposure_.describe();
  }
  if (exceeded) {
    onExceeded(inputs, judgement.p99, judgement.allowed, tailOver);
    return;
  }
  if (holding) {
    windowsOver_ = 0;
    judgedAfter_ = inputs.now;
    settle_ = false;
    return;
  }
  onWithin(inputs, windows);
}

void ThrottleController::onExceeded(const ThrottleInputs& inputs, double p99, double allowed,
                                    bool conclusive) {
  windowsWithin_ = 0;
  // At the level that hurt before, one window over is enough: it is known to hurt. So is a tail
  // share beyond chance: it already rests on every sample taken at this level.
  const bool knownHarmful = harmfulLevel_ && level_ <= *harmfulLevel_;
  const int needed = knownHarmful || conclusive ? 1 : kWindowsOverToSlowDown;
  if (++windowsOver_ < needed) {
    // Judged again on the next window of samples, none of them in this one.
    judgedAfter_ = inputs.now;
    settle_ = false;
    latencyReason_ += " (" + std::to_string(windowsOver_) + " window in a row; slows down at " +
                      std::to_string(needed) + ")";
    return;
  }
  int steps = 1;
  if (std::isfinite(p99) && allowed > 0 && p99 > allowed) {
    steps += static_cast<int>(std::floor(std::log2(p99 / allowed)));
  }
  steps = std::clamp(steps, 1, kMaxStepsUp);
  if (level_ < settings_.maxLevel) {
    raise(steps, inputs.now);
  } else {
    // As slow as it goes: judge what comes next afresh.
    judgeFrom(inputs.now, false);
    countTailFrom(inputs.now, false);
  }
}

void ThrottleController::onWithin(const ThrottleInputs& inputs, int windows) {
  windowsOver_ = 0;
  if (harmfulLevel_ && level_ <= *harmfulLevel_) {
    // A try at the harmful level held for a whole window: the application copes again.
    harmfulLevel_.reset();
    retryWindows_ = std::max(kFirstRetryWindows, retryWindows_ / 2);
  }
  if (level_ == 0) {
    return;
  }
  const int needed = windowsWithinToSpeedUp();
  windowsWithin_ += windows;
  if (windowsWithin_ < needed) {
    judgedAfter_ = inputs.now;
    settle_ = false;
    latencyReason_ += " (" + std::to_string(windowsWithin_) + " of " + std::to_string(needed) +
                      " windows within before level " + std::to_string(level_ - 1) +
                      ", which was over the limit, is tried again)";
    return;
  }
  changeLevel(level_ - 1, inputs.now);
}

void ThrottleController::judgeLocks(const ThrottleInputs& inputs) {
  if (!settings_.maxLockWait) {
    return;
  }
  const auto limit = static_cast<double>(settings_.maxLockWait->count());
  if (inputs.lockWaits.sessions > 0 && inputs.lockWaits.longestMillis >= limit) {
    const int current = lockCap_.value_or(inputs.proposedBatch);
    lockCap_ = std::max(std::min(settings_.minBatch, inputs.proposedBatch), current / 2);
    quietDecisions_ = 0;
    lockReason_ = std::to_string(inputs.lockWaits.sessions) +
                  " application session(s) waited up to " +
                  millisText(inputs.lockWaits.longestMillis) + " for the backfill's row locks (" +
                  secondsText(*settings_.maxLockWait) + " allowed): batches of at most " +
                  std::to_string(*lockCap_) + " rows";
    return;
  }
  // Batches without lock waits: a decision during a pause has no batch to judge.
  if (lockCap_ && inputs.lastBatchDuration && ++quietDecisions_ >= kQuietDecisionsToGrow) {
    quietDecisions_ = 0;
    lockCap_ = *lockCap_ * 2;
    if (*lockCap_ >= inputs.proposedBatch) {
      lockCap_.reset();
      lockReason_.clear();
    }
  }
}

ThrottleDecision ThrottleController::decide(const ThrottleInputs& inputs) {
  if (inputs.lastBatchDuration) {
    batches_.add(
        inputs.now - std::chrono::duration_cast<TimePoint::duration>(*inputs.lastBatchDuration),
        inputs.now);
  }
  if (settings_.maxReplicationLag) {
    const auto limit = *settings_.maxReplicationLag;
    if (inputs.replicationLag && *inputs.replicationLag > limit) {
      pausedForLag_ = true;
    } else if (pausedForLag_ && (!inputs.replicationLag || *inputs.replicationLag <= limit / 2)) {
      pausedForLag_ = false;
      // Samples taken while paused say nothing about the backfill's effect.
      changeLevel(level_, inputs.now);
    }
    if (pausedForLag_) {
      lagReason_ = "replication lag " + secondsText(inputs.replicationLag.value_or(limit)) +
                   " on a physical standby (" + secondsText(limit) +
                   " allowed): paused until it is below " + secondsText(limit / 2);
      ThrottleDecision paused;
      paused.state = ThrottleState::PausedForLag;
      paused.batchSize = 0;
      paused.pause = settings_.lagRecheck;
      paused.level = level_;
      paused.reason = lagReason_;
      return paused;
    }
  }
  judgeLatency(inputs);
  judgeLocks(inputs);
  return shape(inputs);
}

std::chrono::milliseconds ThrottleController::pauseLeft(TimePoint now) const {
  const auto last = batches_.newest();
  if (!last) {
    return std::chrono::milliseconds(0);  // a pause follows a batch: none before the first
  }
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(last->end - last->start);
  // Rounded up: a slowed backfill of very short batches still pauses.
  const auto scaled = std::chrono::milliseconds(static_cast<std::int64_t>(
      std::ceil(pauseRatio(level_) * static_cast<double>(took.count()) / 1000.0)));
  const auto pause = std::max(settings_.minPause, std::min(settings_.maxPause, scaled));
  const auto over = std::chrono::duration_cast<std::chrono::milliseconds>(now - last->end);
  return std::max(std::chrono::milliseconds(0), pause - over);
}

ThrottleDecision ThrottleController::shape(const ThrottleInputs& inputs) const {
  ThrottleDecision out;
  out.level = level_;
  const int proposed = std::max(1, inputs.proposedBatch);
  int size = std::max(1, proposed / batchDivisor(level_));
  if (lockCap_) {
    size = std::min(size, *lockCap_);
  }
  out.batchSize = std::max(size, std::min(settings_.minBatch, proposed));
  out.pause = pauseLeft(inputs.now);
  out.askAgainAfter = settings_.recheck;
  const bool slowed = level_ > 0 || lockCap_.has_value();
  out.state = slowed ? ThrottleState::Slowed : ThrottleState::Running;
  std::string reason;
  if (level_ > 0) {
    reason = latencyReason_ + "; level " + std::to_string(level_) + " of " +
             std::to_string(settings_.maxLevel) + ": pauses " + ratioText(pauseRatio(level_)) +
             "x the batch time, batches 1/" + std::to_string(batchDivisor(level_)) + " size";
  }
  if (lockCap_) {
    reason += (reason.empty() ? "" : "; ") + lockReason_;
  }
  if (!slowed) {
    reason = baseline_ ? (latencyReason_.empty() ? "collecting probe samples" : latencyReason_)
                       : "latency throttle off";
  }
  out.reason = reason;
  return out;
}

}  // namespace tenantshift::analysis
