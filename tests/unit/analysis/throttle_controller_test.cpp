#include "analysis/throttle_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace tenantshift::analysis {
namespace {

using namespace std::chrono_literals;

// A recorded latency series fed to the controller the way the backfill does: the probe adds
// samples every 20 ms while batches of 200 ms run; after each batch the controller decides.
class Recording {
 public:
  // The default baseline is figures only (p50 1 ms, p99 2 ms, no samples): the p99 rule alone.
  // The tail-share tests pass one taken from samples.
  explicit Recording(ThrottleSettings settings,
                     std::optional<Baseline> baseline = baselineFigures(200, 1.0, 2.0))
      : controller_(settings, baseline, now_), settings_(settings) {}

  // One batch during which the probe answered in `millis` (10 samples), then the decision.
  ThrottleDecision batch(double millis, ThrottleInputs extra = {}) {
    return batchWith(std::vector<double>(10, millis), extra);
  }

  // One batch during which the probe answered in each of `millis` in turn, then the decision.
  ThrottleDecision batchWith(const std::vector<double>& millis, ThrottleInputs extra = {}) {
    for (const double sample : millis) {
      now_ += 20ms;
      samples_.push_back(LatencySample{now_, sample, false});
    }
    return decide(extra);
  }

  ThrottleDecision decide(ThrottleInputs inputs = {}) {
    inputs.now = now_;
    const std::size_t keep = std::min(samples_.size(), 2 * settings_.windowSamples);
    inputs.samples.assign(samples_.end() - static_cast<std::ptrdiff_t>(keep), samples_.end());
    if (inputs.proposedBatch <= 1) {
      inputs.proposedBatch = 20000;
    }
    if (!inputs.lastBatchDuration) {
      inputs.lastBatchDuration = 200ms;
    }
    return controller_.decide(inputs);
  }

  // `waited` into the pause after a batch, during which the probe answered in `millis` (one
  // sample every 20 ms, the last one now): the controller is asked again, no batch having run.
  ThrottleDecision askDuringPause(std::chrono::milliseconds waited, double millis) {
    const TimePoint until = now_ + waited;
    while (now_ + 20ms <= until) {
      now_ += 20ms;
      samples_.push_back(LatencySample{now_, millis, false});
    }
    now_ = until;
    ThrottleInputs inputs;
    inputs.now = now_;
    const std::size_t keep = std::min(samples_.size(), 2 * settings_.windowSamples);
    inputs.samples.assign(samples_.end() - static_cast<std::ptrdiff_t>(keep), samples_.end());
    inputs.proposedBatch = 20000;
    return controller_.decide(inputs);
  }

  TimePoint now() const { return now_; }
  void advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  TimePoint now_{};
  std::vector<LatencySample> samples_;
  ThrottleController controller_;
  ThrottleSettings settings_;
};

ThrottleSettings settings() {
  ThrottleSettings s;
  s.latencyLimit = LatencyLimit{10, 0};  // p99 may be 2.2 ms (baseline p99 2 ms)
  s.windowSamples = 50;                  // five batches of samples per judgement
  s.maxPause = 10s;
  s.minBatch = 100;
  return s;
}

TEST(ThrottleController, RunsAtFullSpeedWhileTheLatencyIsWithinItsLimit) {
  Recording run(settings());
  ThrottleDecision decision;
  for (int i = 0; i < 20; ++i) {
    decision = run.batch(2.0);
  }
  EXPECT_EQ(decision.state, ThrottleState::Running);
  EXPECT_EQ(decision.level, 0);
  EXPECT_EQ(decision.batchSize, 20000);
  EXPECT_EQ(decision.pause, 0ms);
  EXPECT_EQ(decision.reason,
            "probe p99 2.00 ms <= 2.20 ms allowed (baseline p99 2.00 ms +10%) over 50 samples");
}

TEST(ThrottleController, SlowsDownWhenTheLatencyRisesAndRecoversWhenItFalls) {
  Recording run(settings());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(run.batch(2.0).state, ThrottleState::Running);
  }
  // The application slows down to 3 ms (+50%). The window (the newest 50 samples) has ten of
  // them: with fewer than 100 samples the nearest-rank p99 is the maximum, so the window is over
  // the limit at once; one window over is not yet a slow-down.
  const ThrottleDecision once = run.batch(3.0);
  EXPECT_EQ(once.state, ThrottleState::Running);
  EXPECT_EQ(once.level, 0);
  EXPECT_EQ(once.reason,
            "probe p99 3.00 ms > 2.20 ms allowed (baseline p99 2.00 ms +10%) over 50 samples (1 "
            "window in a row; slows down at 2)");
  // The next window, of samples taken after that judgement (five batches), is over too: level 1.
  std::vector<int> levels;
  ThrottleDecision slowed;
  for (int i = 0; i < 5; ++i) {
    slowed = run.batch(3.0);
    levels.push_back(slowed.level);
  }
  EXPECT_EQ(levels, (std::vector<int>{0, 0, 0, 0, 1}));
  EXPECT_EQ(slowed.state, ThrottleState::Slowed);
  EXPECT_EQ(slowed.pause, 100ms);  // level 1: half the batch's 200 ms
  EXPECT_EQ(slowed.batchSize, 20000);
  EXPECT_NE(slowed.reason.find("probe p99 3.00 ms > 2.20 ms allowed"), std::string::npos)
      << slowed.reason;
  EXPECT_NE(slowed.reason.find("level 1 of 8: pauses 0.5x the batch time"), std::string::npos)
      << slowed.reason;
  // The next move waits for windows of samples taken after this one (it judges its effect), not
  // counting the first fifth of a window (10 samples: one batch): two windows over, one level up.
  levels.clear();
  for (int i = 0; i < 11; ++i) {
    slowed = run.batch(3.0);
    levels.push_back(slowed.level);
  }
  EXPECT_EQ(levels, (std::vector<int>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}));
  EXPECT_EQ(slowed.pause, 200ms);
  EXPECT_EQ(slowed.batchSize, 10000);
  // It recovers, one level down at a time. Level 1 is the one it last had to leave (it hurt), so
  // it goes back there only after 4 windows within in a row (the first with its settling fifth:
  // 6 + 5 + 5 + 5 batches). The try holds for a window (6 batches): level 1 is forgotten as
  // harmful, and the next window within would be full speed; this one already is.
  levels.clear();
  ThrottleDecision waiting;
  for (int i = 0; i < 27; ++i) {
    const ThrottleDecision decision = run.batch(2.0);
    levels.push_back(decision.level);
    if (i == 5) {
      waiting = decision;
    }
  }
  std::vector<int> expected(20, 2);
  expected.insert(expected.end(), 6, 1);
  expected.push_back(0);
  EXPECT_EQ(levels, expected);
  EXPECT_NE(waiting.reason.find("(1 of 4 windows within before level 1, which was over the limit, "
                                "is tried again)"),
            std::string::npos)
      << waiting.reason;
  const ThrottleDecision recovered = run.batch(2.0);
  EXPECT_EQ(recovered.state, ThrottleState::Running);
  EXPECT_EQ(recovered.pause, 0ms);
  EXPECT_EQ(recovered.batchSize, 20000);
}

TEST(ThrottleController, StartsSlowAndSpeedsUpOneLevelPerWindowWithin) {
  ThrottleSettings s = settings();
  s.startLevel = 8;
  Recording run(s);
  // Before any sample: the slowest level.
  const ThrottleDecision first = run.decide();
  EXPECT_EQ(first.state, ThrottleState::Slowed);
  EXPECT_EQ(first.level, 8);
  EXPECT_EQ(first.batchSize, 1250);  // 20000 / 16
  EXPECT_EQ(first.reason,
            "slow start: one level faster per window of 50 probe samples within the limit; level "
            "8 of 8: pauses 64x the batch time, batches 1/16 size");
  // Healthy samples: one level faster per window (5 batches; 6 with the settling fifth after
  // each change, the baseline's samples are the start's).
  std::vector<int> levels;
  for (int i = 0; i < 47; ++i) {
    levels.push_back(run.batch(2.0).level);
  }
  std::vector<int> expected(4, 8);
  for (int level = 7; level > 0; --level) {
    expected.insert(expected.end(), 6, level);
  }
  expected.push_back(0);
  EXPECT_EQ(levels, expected);
  EXPECT_EQ(run.batch(2.0).state, ThrottleState::Running);
}

TEST(ThrottleController, WithoutABaselineThereIsNoSlowStart) {
  ThrottleSettings s = settings();
  s.startLevel = 8;
  Recording run(s, std::nullopt);
  const ThrottleDecision decision = run.decide();
  EXPECT_EQ(decision.state, ThrottleState::Running);
  EXPECT_EQ(decision.level, 0);
}

// An application that the backfill hurts at level 1 and below (its probe at 3 ms against 2.2 ms
// allowed) and not at level 2 and above: the controller settles at level 2 and goes back to
// level 1 less and less often.
TEST(ThrottleController, TriesALevelThatHurtAgainLessAndLessOften) {
  Recording run(settings());
  int level = 0;
  // Full speed hurts: two windows over at level 0, then two at level 1, and level 2 is reached.
  int batch = 0;
  for (; level < 2; ++batch) {
    ASSERT_LT(batch, 30) << "level 2 not reached";
    level = run.batch(3.0).level;
  }
  std::vector<int> batchesBetweenTries;  // batches at level 2 before each try of level 1
  int atTwo = 0;
  int atOneOrBelow = 0;
  for (int i = 0; i < 1200; ++i) {
    const int previous = level;
    level = run.batch(level <= 1 ? 3.0 : 2.0).level;
    ASSERT_LE(level, 2) << "batch " << i;
    ASSERT_GE(level, 1) << "batch " << i;
    // Batches run at the level of the decision before them.
    if (previous <= 1) {
      ++atOneOrBelow;
    } else {
      ++atTwo;
    }
    if (previous == 2 && level == 1) {
      batchesBetweenTries.push_back(atTwo);
      atTwo = 0;
    }
  }
  // Windows of 50 samples within before each try: 4, 8, 16, 32, then 64 at most. A window is 5
  // batches, and the settling fifth after the change one more.
  ASSERT_GE(batchesBetweenTries.size(), 5u);
  EXPECT_EQ(batchesBetweenTries[0], 1 + 5 * 4);
  EXPECT_EQ(batchesBetweenTries[1], 1 + 5 * 8);
  EXPECT_EQ(batchesBetweenTries[2], 1 + 5 * 16);
  EXPECT_EQ(batchesBetweenTries[3], 1 + 5 * 32);
  for (std::size_t i = 4; i < batchesBetweenTries.size(); ++i) {
    EXPECT_EQ(batchesBetweenTries[i], 1 + 5 * 64) << "try " << i;
  }
  // Each try lasts one window, with its settling fifth (the level is known to hurt: one window
  // over is enough): 6 batches a try, against 2 windows over and 1 within per cycle before.
  EXPECT_EQ(atOneOrBelow, 6 * static_cast<int>(batchesBetweenTries.size()));
  EXPECT_LT(atOneOrBelow * 20, 1200) << atOneOrBelow << " batches at level 1";
}

// When the application copes again, the try holds and the controller goes back to full speed.
TEST(ThrottleController, ATryThatHoldsForgetsTheLevelThatHurt) {
  Recording run(settings());
  ThrottleDecision decision;
  for (int i = 0; i < 10; ++i) {
    decision = run.batch(3.0);  // over the limit: 0 -> 1 after two windows
  }
  ASSERT_EQ(decision.level, 1);
  std::vector<int> levels;
  for (int i = 0; i < 40; ++i) {
    levels.push_back(run.batch(2.0).level);
  }
  // Level 0 hurt: 4 windows within at level 1 before trying it (21 batches), then full speed.
  EXPECT_EQ(levels[19], 1);
  EXPECT_EQ(levels[20], 0);
  EXPECT_EQ(levels.back(), 0);
}

// A baseline taken from samples, so that the tail-share test runs: 180 of 1 ms and 20 of
// 1.5 ms (p90 1 ms, p99 1.5 ms; 10% of the samples above 1.1 ms, the p90 +10%).
Baseline tenPercentSlow() {
  std::vector<LatencySample> samples(180, LatencySample{TimePoint{}, 1.0, false});
  samples.insert(samples.end(), 20, LatencySample{TimePoint{}, 1.5, false});
  return makeBaseline(samples);
}

// One batch whose 10 probe samples are 1.5 ms for the first `slow`, 1 ms for the others.
ThrottleDecision batchWithSlow(Recording& run, int slow) {
  std::vector<double> millis(10, 1.0);
  std::fill_n(millis.begin(), slow, 1.5);
  return run.batchWith(millis);
}

TEST(ThrottleController, SlowsDownWhenMoreSamplesAreSlowThoughTheP99StaysWithin) {
  // Three samples in ten at 1.5 ms: the p99 (1.5 ms) stays within the allowed 1.65 ms, but 30%
  // of the samples are above 1.1 ms where the baseline had 10%. One window (50 samples) is
  // conclusive: level 1 after five batches.
  Recording run(settings(), tenPercentSlow());
  std::vector<int> levels;
  ThrottleDecision decision;
  for (int i = 0; i < 5; ++i) {
    decision = batchWithSlow(run, 3);
    levels.push_back(decision.level);
  }
  EXPECT_EQ(levels, (std::vector<int>{0, 0, 0, 0, 1}));
  EXPECT_EQ(decision.reason,
            "probe p99 1.50 ms <= 1.65 ms allowed (baseline p99 1.50 ms +10%) over 50 samples; 15 "
            "of 50 samples above 1.10 ms (baseline p90 1.00 ms +10%): 30.0%, the baseline's 10.0%; "
            "slow beside a batch: 15 of 50 (30.0%), away from batches: 0 of 0; level 1 of 8: "
            "pauses 0.5x the batch time, batches 1/1 size");
  // The p99 alone (a baseline of figures only) sees nothing.
  Recording p99Only(settings(), baselineFigures(200, 1.0, 1.5));
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(batchWithSlow(p99Only, 3).level, 0) << "batch " << i;
  }
  // Back at the baseline's share, it recovers.
  for (int i = 0; i < 30 && decision.level > 0; ++i) {
    decision = batchWithSlow(run, 1);
  }
  EXPECT_EQ(decision.level, 0) << decision.reason;
}

TEST(ThrottleController, KeepsItsLevelWhileMoreSamplesAreSlowButChanceCouldExplainIt) {
  // 7 slow samples in every 50 (14%) against a reference share of 12.3% (the baseline's 10% and
  // its uncertainty): not beyond chance, even over 250 samples. The level is kept for five
  // windows while the evidence grows, then the p99 being within decides: one level faster.
  ThrottleSettings s = settings();
  s.startLevel = 2;
  Recording run(s, tenPercentSlow());
  const std::vector<int> slowPerBatch{2, 1, 1, 2, 1};
  std::vector<int> levels;
  ThrottleDecision kept;
  for (int i = 0; i < 25; ++i) {
    const ThrottleDecision decision = batchWithSlow(run, slowPerBatch[i % 5]);
    levels.push_back(decision.level);
    if (i == 4) {
      kept = decision;
    }
  }
  std::vector<int> expected(24, 2);
  expected.push_back(1);
  EXPECT_EQ(levels, expected);
  EXPECT_NE(kept.reason.find("7 of 50 samples above 1.10 ms (baseline p90 1.00 ms +10%): 14.0%, "
                             "the baseline's 10.0% (more than the baseline's, not yet beyond "
                             "chance: level kept until 250 samples)"),
            std::string::npos)
      << kept.reason;
}

// The reason tells the slow samples that ran while a batch did from the others: here every slow
// sample ran beside a batch, and none of those taken during the pauses was slow.
TEST(ThrottleController, SaysHowManySlowSamplesRanBesideABatch) {
  ThrottleSettings s = settings();
  s.startLevel = 4;  // pauses 800 ms after a batch of 200 ms: two pieces of 400 ms
  Recording run(s, tenPercentSlow());
  ThrottleDecision decision = batchWithSlow(run, 10);
  ASSERT_EQ(decision.pause, 800ms);
  decision = run.askDuringPause(400ms, 1.0);
  decision = run.askDuringPause(400ms, 1.0);
  // 10 slow samples of 50 (20% against a reference of 12.3%): more than the baseline's, not
  // beyond chance. The level is kept.
  EXPECT_EQ(decision.level, 4);
  EXPECT_NE(decision.reason.find("10 of 50 samples above 1.10 ms (baseline p90 1.00 ms +10%): "
                                 "20.0%, the baseline's 10.0% (more than the baseline's, not yet "
                                 "beyond chance: level kept until 250 samples); slow beside a "
                                 "batch: 10 of 10 (100.0%), away from batches: 0 of 40 (0.0%); "
                                 "level 4 of 8"),
            std::string::npos)
      << decision.reason;
}

// At the slow levels a pause can outlast a window of samples: the wait before a level that hurt
// is counted in windows of samples, not in decisions.
TEST(ThrottleController, ADecisionAfterALongPauseCountsEveryWindowItSaw) {
  Recording run(settings());
  ThrottleDecision decision;
  for (int i = 0; i < 10; ++i) {
    decision = run.batch(3.0);  // over the limit: 0 -> 1 after two windows; 0 hurt
  }
  ASSERT_EQ(decision.level, 1);
  // Decisions 100 samples (two windows) apart, all within: the first has its settling fifth (one
  // window), the second makes 3 of the 4 windows, the third 5: level 0 is tried again.
  std::vector<int> levels;
  for (int i = 0; i < 3; ++i) {
    decision = run.batchWith(std::vector<double>(100, 2.0));
    levels.push_back(decision.level);
  }
  EXPECT_EQ(levels, (std::vector<int>{1, 1, 0}));
}

TEST(ThrottleController, TwoOutliersInAWindowOfAHundredAreNotASlowDown) {
  ThrottleSettings s = settings();
  s.windowSamples = 100;
  Recording run(s);
  // Two outliers (a scheduler stall of 40 ms, twice) in one batch of ten samples.
  const std::vector<double> stalled = {2, 2, 2, 2, 40, 40, 2, 2, 2, 2};
  // Ten windows of 100 healthy samples, every other one with two outliers: each of those is
  // over the limit (its p99 is the second highest of 100), but never two windows in a row.
  ThrottleDecision decision;
  for (int window = 0; window < 10; ++window) {
    for (int batch = 0; batch < 10; ++batch) {
      decision = window % 2 == 0 && batch == 4 ? run.batchWith(stalled) : run.batch(2.0);
      ASSERT_EQ(decision.level, 0) << "window " << window << ": " << decision.reason;
    }
  }
  EXPECT_EQ(decision.state, ThrottleState::Running);
  // Two windows in a row over the limit are a slow-down.
  for (int window = 0; window < 2; ++window) {
    for (int batch = 0; batch < 10; ++batch) {
      decision = batch == 4 ? run.batchWith(stalled) : run.batch(2.0);
    }
  }
  EXPECT_EQ(decision.state, ThrottleState::Slowed) << decision.reason;
  EXPECT_GT(decision.level, 0);
}

TEST(ThrottleController, StepsUpFasterTheFurtherTheLatencyIsAboveItsLimit) {
  Recording run(settings());
  ThrottleDecision decision;
  for (int i = 0; i < 10; ++i) {
    decision = run.batch(20.0);  // 9x the allowed p99: log2(9) = 3.2, so 1 + 3, capped at 3
  }
  EXPECT_EQ(decision.level, 3);
  EXPECT_EQ(decision.pause, 400ms);
  EXPECT_EQ(decision.batchSize, 10000);
  for (int i = 0; i < 22; ++i) {
    decision = run.batch(20.0);
  }
  EXPECT_EQ(decision.level, 8);    // the slowest it goes
  EXPECT_EQ(decision.pause, 10s);  // 64 x 200 ms, capped at maxPause
  EXPECT_EQ(decision.batchSize, 1250);
}

// At the slow levels a pause lasts longer than a window of samples. The controller is asked again
// during it, after every piece of settings.recheck: a level falls as soon as its window is within,
// and the pause left is the new level's.
TEST(ThrottleController, DecidesAgainDuringALongPauseAndShortensItWhenTheLevelFalls) {
  ThrottleSettings s = settings();
  s.startLevel = 8;
  Recording run(s);
  ThrottleDecision decision = run.decide();  // after a batch of 200 ms
  EXPECT_EQ(decision.level, 8);
  EXPECT_EQ(decision.pause, 10s);  // 64 x 200 ms, capped at maxPause
  EXPECT_EQ(decision.wait(), 400ms);
  EXPECT_FALSE(decision.batchAfterWait());
  // Healthy samples during the pause, 20 per piece: the first window is complete 1.2 s in.
  // Level 7 pauses 6.4 s after the batch, 1.2 s of which are over.
  std::vector<int> levels;
  for (int i = 0; i < 3; ++i) {
    decision = run.askDuringPause(400ms, 2.0);
    levels.push_back(decision.level);
  }
  EXPECT_EQ(levels, (std::vector<int>{8, 8, 7}));
  EXPECT_EQ(decision.pause, 5200ms);
  EXPECT_FALSE(decision.batchAfterWait());
  // The next window (after its settling fifth) at 2.4 s: level 6 pauses 3.2 s, 0.8 s are left.
  for (int i = 0; i < 3; ++i) {
    decision = run.askDuringPause(400ms, 2.0);
  }
  EXPECT_EQ(decision.level, 6);
  EXPECT_EQ(decision.pause, 800ms);
  EXPECT_EQ(decision.wait(), 400ms);
  EXPECT_FALSE(decision.batchAfterWait());
  // The last piece, then the batch: level 6's size.
  decision = run.askDuringPause(400ms, 2.0);
  EXPECT_EQ(decision.level, 6);
  EXPECT_EQ(decision.pause, 400ms);
  EXPECT_EQ(decision.wait(), 400ms);
  EXPECT_TRUE(decision.batchAfterWait());
  EXPECT_EQ(decision.batchSize, 2500);  // 20000 / 8
  // The batch ran: the next pause starts after it.
  decision = run.batch(2.0);
  EXPECT_EQ(decision.pause, 3200ms);
}

TEST(ThrottleController, TakesAStuckProbeForSlowWithoutWaitingForItsAnswer) {
  Recording run(settings());
  for (int i = 0; i < 5; ++i) {
    run.batch(2.0);
  }
  // The probe has been running for 500 ms: no new samples, but the application is stuck.
  ThrottleInputs stuck;
  stuck.probeRunningSince = run.now();
  run.advance(500ms);
  const ThrottleDecision decision = run.decide(stuck);
  EXPECT_EQ(decision.state, ThrottleState::Slowed);
  EXPECT_EQ(decision.level, 1);
  EXPECT_NE(decision.reason.find("has not answered for 500 ms"), std::string::npos)
      << decision.reason;
  // The same stuck probe does not count twice.
  run.advance(500ms);
  EXPECT_EQ(run.decide(stuck).level, 1);
}

TEST(ThrottleController, AProbeJustAboveTheP99IsNotStuck) {
  Recording run(settings());
  for (int i = 0; i < 5; ++i) {
    run.batch(2.0);
  }
  ThrottleInputs running;
  running.probeRunningSince = run.now();
  run.advance(50ms);  // 20x the allowed 2.2 ms, but under 100 ms: one slow probe, not a stuck one
  EXPECT_EQ(run.decide(running).level, 0);
}

TEST(ThrottleController, PausesForReplicationLagUntilTheStandbysCatchUp) {
  ThrottleSettings s = settings();
  s.maxReplicationLag = 10s;
  Recording run(s);
  ThrottleInputs lagging;
  lagging.replicationLag = 12s;
  ThrottleDecision decision = run.batch(2.0, lagging);
  EXPECT_EQ(decision.state, ThrottleState::PausedForLag);
  EXPECT_EQ(decision.batchSize, 0);
  EXPECT_EQ(decision.pause, 1s);
  EXPECT_NE(decision.reason.find("replication lag 12000 ms"), std::string::npos) << decision.reason;
  // Below the limit but above half of it: still paused (no flapping at the limit).
  lagging.replicationLag = 8s;
  EXPECT_EQ(run.batch(2.0, lagging).state, ThrottleState::PausedForLag);
  lagging.replicationLag = 4s;
  decision = run.batch(2.0, lagging);
  EXPECT_EQ(decision.state, ThrottleState::Running);
  EXPECT_EQ(decision.batchSize, 20000);
  // No standby (or all idle): nothing to wait for.
  EXPECT_EQ(run.batch(2.0).state, ThrottleState::Running);
}

TEST(ThrottleController, ShrinksBatchesThatMakeTheApplicationWaitForTheirLocks) {
  ThrottleSettings s = settings();
  s.maxLockWait = 200ms;
  Recording run(s);
  ThrottleInputs waits;
  waits.lockWaits = LockWaits{2, 350};
  ThrottleDecision decision = run.batch(2.0, waits);
  EXPECT_EQ(decision.state, ThrottleState::Slowed);
  EXPECT_EQ(decision.batchSize, 10000);
  EXPECT_EQ(decision.level, 0);  // the latency is fine: no pauses
  EXPECT_EQ(decision.pause, 0ms);
  EXPECT_NE(decision.reason.find("2 application session(s) waited up to 350 ms"), std::string::npos)
      << decision.reason;
  EXPECT_EQ(run.batch(2.0, waits).batchSize, 5000);
  // A short wait is no reason; five batches without waits double the size again.
  ThrottleInputs shortWait;
  shortWait.lockWaits = LockWaits{1, 50};
  std::vector<int> sizes;
  for (int i = 0; i < 10; ++i) {
    sizes.push_back(run.batch(2.0, shortWait).batchSize);
  }
  EXPECT_EQ(sizes,
            (std::vector<int>{5000, 5000, 5000, 5000, 10000, 10000, 10000, 10000, 10000, 20000}));
  EXPECT_EQ(run.batch(2.0).state, ThrottleState::Running);
  // Decisions during a pause are not batches without waits: they leave the size as it is.
  run.batch(2.0, waits);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(run.askDuringPause(400ms, 2.0).batchSize, 10000) << "decision " << i;
  }
}

TEST(ThrottleController, WithoutABaselineOnlyTheMinimumPauseApplies) {
  ThrottleSettings s = settings();
  s.minPause = 20ms;
  Recording run(s, std::nullopt);
  const ThrottleDecision decision = run.batch(100.0);
  EXPECT_EQ(decision.state, ThrottleState::Running);
  EXPECT_EQ(decision.pause, 20ms);
  EXPECT_EQ(decision.batchSize, 20000);
  EXPECT_EQ(decision.reason, "latency throttle off");
}

TEST(ThrottleController, NamesItsStates) {
  EXPECT_EQ(toString(ThrottleState::PausedForLag), "paused-for-lag");
  EXPECT_EQ(throttleStateFromString("slowed"), ThrottleState::Slowed);
  EXPECT_EQ(throttleStateFromString("fast"), std::nullopt);
}

}  // namespace
}  // namespace tenantshift::analysis
