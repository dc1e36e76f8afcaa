#include "analysis/tail_share.h"

#include <gtest/gtest.h>

#include <vector>

#include "analysis/binomial.h"

namespace tenantshift::analysis {
namespace {

// 180 samples of 1 ms and 20 of 1.5 ms: p50 and p90 1 ms, p99 1.5 ms.
Baseline tenPercentSlow() {
  std::vector<LatencySample> samples(180, LatencySample{TimePoint{}, 1.0, false});
  samples.insert(samples.end(), 20, LatencySample{TimePoint{}, 1.5, false});
  return makeBaseline(samples);
}

TEST(Binomial, GivesTheChanceOfAtLeastKSuccesses) {
  // Two or more of 100 at 1%: 1 - 0.99^100 - 100 * 0.01 * 0.99^99.
  EXPECT_NEAR(binomialAtLeast(100, 2, 0.01), 0.264238, 1e-6);
  EXPECT_NEAR(binomialAtLeast(100, 5, 0.01), 0.003432, 1e-6);
  EXPECT_NEAR(binomialAtLeast(10, 10, 0.5), 1.0 / 1024, 1e-12);
  EXPECT_EQ(binomialAtLeast(100, 0, 0.01), 1.0);
  EXPECT_EQ(binomialAtLeast(10, 11, 0.5), 0.0);
  EXPECT_EQ(binomialAtLeast(10, 1, 0.0), 0.0);
  // Thousands of trials do not overflow.
  EXPECT_NEAR(binomialAtLeast(5000, 50, 0.01), 0.5, 0.05);
}

TEST(Binomial, TheWilsonUpperBoundLiesAboveTheObservedShare) {
  EXPECT_NEAR(wilsonUpperBound(200, 20, 1.0), 0.123244, 1e-6);
  // None of 200: still not 0.
  EXPECT_NEAR(wilsonUpperBound(200, 0, 1.0), 0.004975, 1e-6);
  EXPECT_EQ(wilsonUpperBound(0, 0, 1.0), 1.0);
}

TEST(TailShare, TheReferenceIsTheBaselineShareAboveItsP90PlusTheAllowedIncrease) {
  const Baseline baseline = tenPercentSlow();
  EXPECT_EQ(baseline.p90, 1.0);
  const TailShareReference reference = tailShareReference(baseline, LatencyLimit{10, 0});
  EXPECT_DOUBLE_EQ(reference.threshold, 1.1);
  EXPECT_EQ(reference.baselineAbove, 20u);
  EXPECT_EQ(reference.baselineSamples, 200u);
  EXPECT_NEAR(reference.share, 0.1232, 1e-4);
  // The minimum increase applies as it does to the p99; the share is never below 1%.
  const TailShareReference loose = tailShareReference(baseline, LatencyLimit{10, 5});
  EXPECT_DOUBLE_EQ(loose.threshold, 6.0);
  EXPECT_EQ(loose.baselineAbove, 0u);
  EXPECT_DOUBLE_EQ(loose.share, 0.01);
}

TEST(TailShare, JudgesTheShareAgainstWhatChanceExplains) {
  const LatencyLimit limit{10, 0};
  const TailShareReference reference = tailShareReference(tenPercentSlow(), limit);
  // 15 of 50 at a reference of 12.3%: under 0.1% likely by chance.
  const TailShareJudgement over = judgeTailShare(reference, 50, 15, 50);
  EXPECT_EQ(over.verdict, TailVerdict::Over);
  EXPECT_EQ(over.describe(reference, limit),
            "15 of 50 samples above 1.10 ms (baseline p90 1.00 ms +10%): 30.0%, the baseline's "
            "10.0%");
  // 8 of 50: more than the reference's 6.2, but 27% likely by chance.
  EXPECT_EQ(judgeTailShare(reference, 50, 8, 50).verdict, TailVerdict::Elevated);
  EXPECT_EQ(judgeTailShare(reference, 50, 6, 50).verdict, TailVerdict::Within);
  // The same share over more samples becomes conclusive.
  EXPECT_EQ(judgeTailShare(reference, 500, 85, 50).verdict, TailVerdict::Over);
  EXPECT_EQ(judgeTailShare(reference, 49, 49, 50).verdict, TailVerdict::Insufficient);
  // A failed sample is slow whatever its time.
  EXPECT_TRUE(aboveThreshold(reference, LatencySample{TimePoint{}, 0.1, true}));
  EXPECT_FALSE(aboveThreshold(reference, LatencySample{TimePoint{}, 1.1, false}));
  EXPECT_TRUE(aboveThreshold(reference, LatencySample{TimePoint{}, 1.2, false}));
}

}  // namespace
}  // namespace tenantshift::analysis
