// The throttle's decisions on a real, noisy latency series: the probe recorded against a real
// PostgreSQL under a pgbench workload, healthy, then degraded by a saturating load, then healthy
// again (data/probe_latency_pgbench.txt; data/README.md says how it was recorded, and
// bench/probe-series/run records it again). The series is replayed through the controller as the
// backfill would feed it, with the product's default settings: a baseline of the first
// baselineSamples samples, then a decision after every batch of targetBatchDuration plus the
// pause the controller asked for. The recording is open-loop (no backfill ran while it was
// recorded), so the degradation ends when it ends, whatever the controller decides.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/baseline.h"
#include "analysis/throttle_controller.h"
#include "api/migration_spec.h"
#include "engine/backfill_runner.h"

namespace tenantshift::analysis {
namespace {

using namespace std::chrono_literals;

struct Recording {
  std::vector<LatencySample> samples;  // in the order they finished
  TimePoint degradedFrom{};
  TimePoint degradedUntil{};
};

TimePoint at(double offsetMillis) {
  return TimePoint{} + std::chrono::duration_cast<TimePoint::duration>(
                           std::chrono::duration<double, std::milli>(offsetMillis));
}

Recording load(const std::string& name) {
  const std::string path =
      std::string(TENANTSHIFT_SOURCE_DIR) + "/tests/unit/analysis/data/" + name;
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  Recording out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (line.rfind('#', 0) == 0) {
      std::string hash;
      std::string key;
      double value = 0;
      fields >> hash >> key >> value;
      if (key == "degraded_from_ms") {
        out.degradedFrom = at(value);
      } else if (key == "degraded_until_ms") {
        out.degradedUntil = at(value);
      }
      continue;
    }
    double offset = 0;
    LatencySample sample;
    int failed = 0;
    if (fields >> offset >> sample.millis >> failed) {
      sample.finishedAt = at(offset);
      sample.failed = failed != 0;
      out.samples.push_back(sample);
    }
  }
  if (out.samples.empty() || out.degradedUntil <= out.degradedFrom) {
    throw std::runtime_error(path + ": no samples, or no degraded_from_ms/degraded_until_ms");
  }
  return out;
}

struct Decision {
  TimePoint at;
  ThrottleDecision decision;
};

// The product's defaults (spec.backfill with nothing set) as the backfill runner uses them.
engine::ThrottleConfig defaults() {
  const engine::BackfillSettings settings =
      engine::backfillSettingsFor(api::MigrationSpec{}, analysis::ConnectionFactory{});
  return *settings.throttle;
}

std::chrono::milliseconds defaultTarget() {
  return api::BackfillSpec{}.targetBatchDuration;
}

// Replays `recording` from its first sample: the baseline, then batches until the samples end.
std::vector<Decision> replay(const Recording& recording, const engine::ThrottleConfig& config,
                             std::chrono::milliseconds batch) {
  const auto& samples = recording.samples;
  const std::size_t baselineCount = config.baselineSamples;
  const Baseline baseline =
      makeBaseline({samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(baselineCount)});
  TimePoint now = samples[baselineCount - 1].finishedAt;
  ThrottleController controller(config.controller, baseline, now);
  std::vector<Decision> out;
  std::size_t finished = baselineCount;  // samples finished by `now`
  // As the runner paces: wait what the decision says, then run a batch or decide again.
  ThrottleDecision last;
  last.batchSize = 1;
  for (;;) {
    const bool batchRuns = last.batchAfterWait();
    now += last.wait() + (batchRuns ? batch : std::chrono::milliseconds(0));
    while (finished < samples.size() && samples[finished].finishedAt <= now) {
      ++finished;
    }
    if (finished == samples.size()) {
      return out;
    }
    ThrottleInputs inputs;
    inputs.now = now;
    const std::size_t keep = std::min(finished, 2 * config.controller.windowSamples);
    inputs.samples.assign(samples.begin() + static_cast<std::ptrdiff_t>(finished - keep),
                          samples.begin() + static_cast<std::ptrdiff_t>(finished));
    // The probe running now: the next sample, if it had started.
    const LatencySample& next = samples[finished];
    const TimePoint nextStart =
        next.finishedAt - std::chrono::duration_cast<TimePoint::duration>(
                              std::chrono::duration<double, std::milli>(next.millis));
    if (nextStart <= now) {
      inputs.probeRunningSince = nextStart;
    }
    inputs.proposedBatch = 10000;
    if (batchRuns) {
      inputs.lastBatchDuration = batch;
    }
    last = controller.decide(inputs);
    out.push_back({now, last});
  }
}

int highestLevel(const std::vector<Decision>& decisions, TimePoint from, TimePoint until) {
  int level = 0;
  for (const Decision& d : decisions) {
    if (d.at >= from && d.at < until) {
      level = std::max(level, d.decision.level);
    }
  }
  return level;
}

class RecordedLatency : public ::testing::Test {
 protected:
  const Recording recording = load("probe_latency_pgbench.txt");
  const engine::ThrottleConfig config = defaults();
  const std::vector<Decision> decisions = replay(recording, config, defaultTarget());
};

TEST_F(RecordedLatency, SpeedsUpToFullSpeedWhileTheApplicationIsNoisyButHealthy) {
  // The backfill starts slow and speeds up window by window: in the healthy part the level never
  // rises, and it reaches full speed well before the degradation starts.
  ASSERT_GT(decisions.size(), 100u);
  EXPECT_EQ(decisions.front().decision.level, config.controller.maxLevel);
  int previous = config.controller.maxLevel;
  std::optional<TimePoint> fullSpeedAt;
  for (const Decision& d : decisions) {
    if (d.at >= recording.degradedFrom) {
      break;
    }
    const auto offset = std::chrono::duration_cast<std::chrono::milliseconds>(
                            d.at - recording.samples.front().finishedAt)
                            .count();
    ASSERT_LE(d.decision.level, previous)
        << "slowed down " << offset << " ms into the healthy part: " << d.decision.reason;
    previous = d.decision.level;
    if (d.decision.level == 0 && !fullSpeedAt) {
      fullSpeedAt = d.at;
    }
    if (fullSpeedAt) {
      ASSERT_EQ(d.decision.state, ThrottleState::Running) << d.decision.reason;
    }
  }
  ASSERT_TRUE(fullSpeedAt) << "never reached full speed in the healthy part";
}

TEST_F(RecordedLatency, SlowsDownSoonAfterTheDegradationStarts) {
  // Within two judgement windows (and their settling fifths) of probe samples.
  const auto window = config.probeInterval * static_cast<int>(config.controller.windowSamples);
  const TimePoint deadline = recording.degradedFrom + 3 * window;
  ASSERT_LT(deadline, recording.degradedUntil);
  EXPECT_GT(highestLevel(decisions, recording.degradedFrom, deadline), 0);
  // And it stays slowed down while the degradation lasts.
  const auto slowed = std::find_if(decisions.begin(), decisions.end(), [&](const Decision& d) {
    return d.at >= recording.degradedFrom && d.decision.level > 0;
  });
  ASSERT_NE(slowed, decisions.end());
  for (auto it = slowed; it != decisions.end() && it->at < recording.degradedUntil; ++it) {
    EXPECT_EQ(it->decision.state, ThrottleState::Slowed) << it->decision.reason;
  }
}

TEST_F(RecordedLatency, RecoversAfterTheDegradationEnds) {
  // Back at full speed before the recording ends, and full speed from then on.
  const auto lastSlowed = std::find_if(decisions.rbegin(), decisions.rend(),
                                       [](const Decision& d) { return d.decision.level > 0; });
  ASSERT_NE(lastSlowed, decisions.rend());
  EXPECT_GE(lastSlowed->at, recording.degradedUntil);
  ASSERT_NE(lastSlowed, decisions.rbegin()) << "still slowed down at the end of the recording";
  EXPECT_EQ(decisions.back().decision.state, ThrottleState::Running)
      << decisions.back().decision.reason;
}

}  // namespace
}  // namespace tenantshift::analysis
