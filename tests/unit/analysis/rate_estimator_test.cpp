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
  EXPECT_EQ(rate.timeFor(0), std::chrono::seconds(0));
  // It slows down: after the window the old, fast part no longer counts.
  rate.observe(t0 + 10s, 10000);
  rate.observe(t0 + 20s, 11000);
  rate.observe(t0 + 30s, 12000);
  EXPECT_DOUBLE_EQ(rate.perSecond(), 100);
}

}  // namespace
}  // namespace tenantshift::analysis
