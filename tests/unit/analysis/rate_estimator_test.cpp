#include "analysis/rate_estimator.h"

#include <gtest/gtest.h>

namespace tenantshift::analysis {
namespace {

using namespace std::chrono_literals;

TEST(RateEstimator, MeasuresOverItsWindowAndGivesTheTimeLeft) {
  RateEstimator rate(10s);
  const TimePoint t0{};
  EXPECT_EQ(rate.perSecond(), 0);
  EXPECT_EQ(rate.timeFor(100), std::nullopt);
  rate.observe(t0, 0);
  rate.observe(t0 + 5s, 5000);
  EXPECT_DOUBLE_EQ(rate.perSecond(), 1000);
  EXPECT_EQ(rate.timeFor(2500), std::chrono::seconds(3));
  EXPECT_EQ(rate.timeFor(1), std::chrono::seconds(1));
  // It slows down: after the window the old, fast part no longer counts.
  rate.observe(t0 + 10s, 10000);
  rate.observe(t0 + 20s, 11000);
  rate.observe(t0 + 30s, 12000);
  EXPECT_DOUBLE_EQ(rate.perSecond(), 100);
}

TEST(RateEstimator, TheTimeLeftIsUnknownWhenTheEstimateSaysNothingIsLeft) {
  RateEstimator rate(10s);
  const TimePoint t0{};
  rate.observe(t0, 0);
  rate.observe(t0 + 5s, 5000);
  ASSERT_DOUBLE_EQ(rate.perSecond(), 1000);
  // A table never analysed (an estimate of 0 rows: 0 - 5000 left), or one that outgrew its
  // estimate while the backfill goes on: unknown, not "0 s".
  EXPECT_EQ(rate.timeFor(-5000), std::nullopt);
  EXPECT_EQ(rate.timeFor(0), std::nullopt);
}

}  // namespace
}  // namespace tenantshift::analysis
