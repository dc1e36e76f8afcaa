#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/baseline.h"
#include "analysis/batch_exposure.h"
#include "analysis/clock.h"
#include "analysis/latency_verdict.h"
#include "analysis/lock_wait_stats.h"
#include "analysis/sample_window.h"
#include "analysis/tail_share.h"

namespace tenantshift::analysis {

enum class ThrottleState {
  Measuring,     // taking the baseline; no batch has run yet
  Running,       // full speed (the batch size controller's size, the minimum pause)
  Slowed,        // smaller batches and longer pauses: latency or lock waits above their limits
  PausedForLag,  // no batches until the standbys catch up
};
std::string_view toString(
    ThrottleState state);  // "measuring", "running", "slowed", "paused-for-lag"
std::optional<ThrottleState> throttleStateFromString(std::string_view text);

struct ThrottleSettings {
  LatencyLimit latencyLimit;
  // Samples one judgement needs; a level change waits for this many samples taken after the
  // previous change, so that the controller judges the effect of its last move, not the past.
  std::size_t windowSamples = 100;
  std::optional<std::chrono::milliseconds> maxReplicationLag;  // absent: not throttled on lag
  std::optional<std::chrono::milliseconds> maxLockWait;        // absent: not throttled on locks
  std::chrono::milliseconds minPause{0};
  std::chrono::milliseconds maxPause{5000};
  std::chrono::milliseconds lagRecheck{1000};  // pause between replication lag readings
  // A pause longer than this is cut into pieces this long, and the controller decides again after
  // each (ThrottleDecision::wait): the probe's samples are judged as they come, at any level. The
  // backfill runner sets it to the time a fifth of a window of samples takes.
  std::chrono::milliseconds recheck{400};
  int minBatch = 100;
  int maxLevel = 8;
  // The level before the first judgement. The backfill runner starts at maxLevel (slow start):
  // until the probe has shown that the application stays within its limit, the backfill runs as
  // slowly as it can, instead of at full speed for the windows a first slow-down takes.
  int startLevel = 0;
};

// What the controller sees after a batch.
struct ThrottleInputs {
  TimePoint now{};
  // The probe's newest samples (pass 2 x windowSamples of them); the controller judges the
  // newest windowSamples of those finished after its last change. Empty when the latency
  // throttle is off.
  std::vector<LatencySample> samples;
  // When the probe running now started (absent: none running). A probe that has run for ten
  // times the allowed p99 (at least 100 ms) is slow evidence on its own: a stuck probe produces
  // no samples.
  std::optional<TimePoint> probeRunningSince;
  std::optional<std::chrono::milliseconds> replicationLag;  // the worst standby; absent: none
  LockWaits lockWaits;                                      // caused by the last batch
  int proposedBatch = 1;                                    // the batch size controller's size
  // The batch that ended just now. Absent: no batch ran since the last decision (the controller
  // is asked again during a pause).
  std::optional<std::chrono::microseconds> lastBatchDuration;
};

struct ThrottleDecision {
  ThrottleState state = ThrottleState::Running;
  int batchSize = 0;  // 0 when paused: run no batch, wait `pause`, decide again
  // The rest of the pause before the next batch (the pause starts when the last batch ends).
  std::chrono::milliseconds pause{0};
  // A pause longer than this is waited in pieces, with a decision after each.
  std::chrono::milliseconds askAgainAfter = std::chrono::milliseconds::max();
  int level = 0;       // 0 = full speed .. maxLevel
  std::string reason;  // for people: why this state

  // How long to wait now: the pause, or its next piece.
  std::chrono::milliseconds wait() const { return std::min(pause, askAgainAfter); }
  // Whether the batch runs once wait() is over; if not, the controller decides again then.
  bool batchAfterWait() const { return batchSize > 0 && pause <= askAgainAfter; }
};

// The closed loop: after every batch it compares the application's latency (a probe, against
// its baseline), the standbys' replication lag and the lock waits the batch caused with their
// limits, and answers with the next batch's size and the pause before it. During a pause longer
// than settings.recheck it is asked again after every piece of it (ThrottleDecision::wait), so
// that a slow level's long pauses do not slow its judgements down.
//
// Latency works on a level: 0 is full speed; level k >= 1 pauses 2^(k-2) times the last batch's
// duration after each batch (0.5x, 1x, 2x, ... so the backfill's share of the time is 67%, 50%,
// 33%, ...) and divides the batch size by 2^(k/2) (shorter row-lock holds). It starts at
// settings.startLevel. A p99 above the allowed one in two windows in a row (the second of samples
// taken after the first was judged: two outliers in one window of 100 are noise, a backfill that
// hurts the application hurts it window after window) raises the level (by up to 3 when it is
// far above); a p99 within lowers it by one: multiplicative decrease, gradual recovery. Either
// move needs `windowSamples` samples taken after the previous move, not counting the first fifth
// of a window after it (the application has not felt the move yet). A probe stuck for ten times
// the allowed p99 raises the level at once.
// Besides the p99, the controller counts the samples taken at the current level that are slower
// than the baseline's p90 plus the allowed increase (the tail-share test, analysis/tail_share.h;
// the newest 10 windows' worth, older counts halved). A share larger than the baseline's beyond
// chance raises the level on its own, whatever the p99 says; a larger share that could still be
// chance holds the level (no speed-up) while the newest window shows it too and the evidence
// rests on fewer than 5 windows. The test needs the baseline's samples (Baseline::millis);
// without them only the p99 is judged. Its reason also says how the slow samples split between
// those that ran while a batch did and the others (analysis/batch_exposure.h): slow samples away
// from the batches are the application's own, not the backfill's.
// The controller remembers the level it last had to leave because the latency was over its
// limit (the harmful level). Going back down to it takes several windows within in a row (4 at
// first; windows of samples, so that a decision after a long pause counts the windows it saw),
// and once there one window over is enough to leave it again. Each time it has to leave
// it again, the windows it waits before the next try double (up to 64); each try that holds
// halves them and forgets the harmful level. So a backfill that hurts the application one level
// down spends a shrinking share of its time there, instead of the two thirds that moving down
// after every good window would.
// Lock waits at or above maxLockWait halve the batch size (no smaller than minBatch); five
// batches without them double it again. Replication lag above maxReplicationLag pauses the
// backfill until the lag is below half of it.
class ThrottleController {
 public:
  // `baseline` absent: the latency throttle is off.
  ThrottleController(const ThrottleSettings& settings, std::optional<Baseline> baseline,
                     TimePoint start);

  ThrottleDecision decide(const ThrottleInputs& inputs);
  int level() const { return level_; }

 private:
  void judgeLatency(const ThrottleInputs& inputs);
  // `conclusive`: the tail-share test is over (one window is enough).
  void onExceeded(const ThrottleInputs& inputs, double p99, double allowed, bool conclusive);
  // Counts the samples finished since the last count toward the current level's tail share.
  void countTail(const ThrottleInputs& inputs);
  // Tail shares count the samples finished after `after` (skipping a settling fifth of a window
  // first when `settle`), from 0.
  void countTailFrom(TimePoint after, bool settle);
  TailShareJudgement judgeTail() const;
  // Whether `window` alone has a larger share of slow samples than the reference.
  bool newestWindowElevated(const std::vector<LatencySample>& window) const;
  // `windows`: whole windows of samples taken since the last judgement, all within.
  void onWithin(const ThrottleInputs& inputs, int windows);
  // Raises the level by `steps` (up to maxLevel): the level left is the harmful one.
  void raise(int steps, TimePoint now);
  // Moves to `level` at `now`: later judgements use samples taken after it (settling first).
  void changeLevel(int level, TimePoint now);
  // Within windows in a row needed at the current level before it moves one level down.
  int windowsWithinToSpeedUp() const;
  // Later judgements use samples finished after `after` (skipping a settling fifth of a window
  // first when `settle`), and count windows over the limit from 0.
  void judgeFrom(TimePoint after, bool settle);
  void judgeLocks(const ThrottleInputs& inputs);
  ThrottleDecision shape(const ThrottleInputs& inputs) const;
  // The pause at the current level after the last batch, less the part of it already over.
  std::chrono::milliseconds pauseLeft(TimePoint now) const;

  ThrottleSettings settings_;
  std::optional<Baseline> baseline_;
  std::optional<TailShareReference> tail_;  // absent: no tail-share test
  TimePoint lastChange_;                    // of the level (or the end of a pause for lag)
  TimePoint judgedAfter_;                   // latency judgements use samples finished after this
  bool settle_ = false;                     // skip the first fifth of a window after judgedAfter_
  int windowsOver_ = 0;                     // windows in a row over the limit
  int windowsWithin_ = 0;                   // windows in a row within it
  TimePoint tailCountedUntil_;              // samples finished after this are not counted yet
  std::size_t tailSettling_ = 0;            // samples still to skip after the last level change
  std::size_t tailSamples_ = 0;             // counted at the current level
  std::size_t tailAbove_ = 0;               // of those, above the tail-share threshold
  BatchExposure exposure_;                  // the same samples, by whether a batch ran beside them
  BatchTimeline batches_;                   // when the batches ran (the newest: the pause's start)
  int level_ = 0;
  std::optional<int> harmfulLevel_;  // the level last left because the latency was over
  int retryWindows_;                 // windows within before going back down to harmfulLevel_
  bool pausedForLag_ = false;
  std::optional<int> lockCap_;
  int quietDecisions_ = 0;
  std::string latencyReason_;
  std::string lockReason_;
  std::string lagReason_;
};

}  // namespace tenantshift::analysis
