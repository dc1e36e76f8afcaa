#include "analysis/percentile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "analysis/baseline.h"
#include "analysis/latency_verdict.h"
#include "analysis/sample_window.h"

namespace tenantshift::analysis {
namespace {

using namespace std::chrono_literals;

std::vector<double> oneTo(int n) {
  std::vector<double> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), 1.0);
  return values;
}

TEST(NearestRank, IsTheValueOfRankCeilPTimesN) {
  EXPECT_EQ(nearestRank(oneTo(100), 99), 99);
  EXPECT_EQ(nearestRank(oneTo(100), 50), 50);
  EXPECT_EQ(nearestRank(oneTo(10), 50), 5);
  EXPECT_EQ(nearestRank(oneTo(200), 99), 198);
  EXPECT_EQ(nearestRank(oneTo(1000), 99.9), 999);
  // Fewer than 100 values: p99 is the largest (no interpolation).
  EXPECT_EQ(nearestRank(oneTo(50), 99), 50);
  EXPECT_EQ(nearestRank(oneTo(7), 100), 7);
  EXPECT_EQ(nearestRank({42}, 1), 42);
  // Order of the input does not matter.
  EXPECT_EQ(nearestRank({5, 1, 4, 2, 3}, 50), 3);
}

TEST(NearestRank, RefusesWhatHasNoPercentile) {
  EXPECT_THROW(nearestRank({}, 50), std::invalid_argument);
  EXPECT_THROW(nearestRank({1}, 0), std::invalid_argument);
  EXPECT_THROW(nearestRank({1}, 101), std::invalid_argument);
  EXPECT_THROW(summarize({}), std::invalid_argument);
}

TEST(Summarize, GivesP50P99AndMax) {
  const Percentiles p = summarize(oneTo(100));
  EXPECT_EQ(p.count, 100u);
  EXPECT_EQ(p.p50, 50);
  EXPECT_EQ(p.p99, 99);
  EXPECT_EQ(p.max, 100);
}

TEST(SampleWindow, KeepsTheNewestAndSelectsByTime) {
  const TimePoint t0{};
  SampleWindow window(3);
  for (int i = 1; i <= 5; ++i) {
    window.add(LatencySample{t0 + std::chrono::milliseconds(i), static_cast<double>(i), false});
  }
  EXPECT_EQ(window.size(), 3u);
  EXPECT_EQ(window.added(), 5u);
  EXPECT_EQ(millisOf(window.newest(10)), (std::vector<double>{3, 4, 5}));
  EXPECT_EQ(millisOf(window.newest(2)), (std::vector<double>{4, 5}));
  EXPECT_EQ(millisOf(window.since(t0 + 3ms, 10)), (std::vector<double>{4, 5}));
  EXPECT_EQ(millisOf(window.since(t0 + 3ms, 1)), (std::vector<double>{5}));
  EXPECT_TRUE(window.since(t0 + 5ms, 10).empty());
}

std::vector<LatencySample> samplesOf(const std::vector<double>& millis, int failed = 0) {
  std::vector<LatencySample> out;
  for (double value : millis) {
    out.push_back(LatencySample{TimePoint{}, value, false});
  }
  for (int i = 0; i < failed; ++i) {
    out.push_back(LatencySample{TimePoint{}, 1.0, true});
  }
  return out;
}

TEST(Baseline, IsTakenOverTheSuccessfulSamples) {
  const Baseline baseline = makeBaseline(samplesOf(oneTo(100), 3));
  EXPECT_EQ(baseline.samples, 100u);
  EXPECT_EQ(baseline.failed, 3u);
  EXPECT_EQ(baseline.p50, 50);
  EXPECT_EQ(baseline.p99, 99);
  EXPECT_EQ(baseline.describe(), "p50 50.0 ms, p99 99.0 ms over 100 samples (3 failed)");
  EXPECT_THROW(makeBaseline(samplesOf({}, 5)), std::invalid_argument);
}

TEST(LatencyVerdict, ComparesP99WithTheAllowedIncrease) {
  const Baseline baseline = baselineFigures(100, 5, 10);
  const LatencyLimit limit{10, 0};
  EXPECT_DOUBLE_EQ(allowedP99(baseline, limit), 11);
  // 100 samples of 10.5 ms: within +10%.
  auto within = judgeLatency(baseline, samplesOf(std::vector<double>(100, 10.5)), limit, 100);
  EXPECT_EQ(within.verdict, Verdict::Within);
  EXPECT_DOUBLE_EQ(within.p99, 10.5);
  // One slow sample of 100 is not p99 (rank 99 of 100); two are.
  std::vector<double> values(98, 10.0);
  values.push_back(30);
  values.push_back(10);
  EXPECT_EQ(judgeLatency(baseline, samplesOf(values), limit, 100).verdict, Verdict::Within);
  values.back() = 30;
  const auto exceeded = judgeLatency(baseline, samplesOf(values), limit, 100);
  EXPECT_EQ(exceeded.verdict, Verdict::Exceeded);
  EXPECT_DOUBLE_EQ(exceeded.p99, 30);
  EXPECT_EQ(exceeded.describe(baseline, limit),
            "p99 30.0 ms > 11.0 ms allowed (baseline p99 10.0 ms +10%) over 100 samples");
  // Too few samples: no judgement.
  EXPECT_EQ(judgeLatency(baseline, samplesOf({50, 50}), limit, 100).verdict, Verdict::Insufficient);
}

TEST(LatencyVerdict, CountsFailedSamplesAsSlowAndHonoursTheMinimumIncrease) {
  const Baseline baseline = baselineFigures(100, 0.2, 0.3);
  // +25% of 0.3 ms is 0.075 ms, scheduler noise: at least 1 ms more is allowed.
  const LatencyLimit limit{25, 1};
  EXPECT_DOUBLE_EQ(allowedP99(baseline, limit), 1.3);
  EXPECT_EQ(judgeLatency(baseline, samplesOf(std::vector<double>(100, 1.2)), limit, 10).verdict,
            Verdict::Within);
  // Fast but failing (permission denied, timeouts): never healthy.
  const auto failing =
      judgeLatency(baseline, samplesOf(std::vector<double>(95, 0.2), 5), limit, 10);
  EXPECT_EQ(failing.verdict, Verdict::Exceeded);
  EXPECT_EQ(failing.failed, 5u);
  EXPECT_TRUE(std::isinf(failing.p99));
}

}  // namespace
}  // namespace tenantshift::analysis
