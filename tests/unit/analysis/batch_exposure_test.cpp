#include "analysis/batch_exposure.h"

#include <gtest/gtest.h>

namespace tenantshift::analysis {
namespace {

using namespace std::chrono_literals;

TimePoint at(std::chrono::milliseconds offset) {
  return TimePoint{} + offset;
}

// A sample that finished at `finished` ms after taking `millis` ms.
LatencySample sample(int finished, double millis) {
  return LatencySample{at(std::chrono::milliseconds(finished)), millis, false};
}

TEST(BatchTimeline, ASampleRanBesideABatchWhenTheirRunsOverlap) {
  BatchTimeline timeline;
  timeline.add(at(1000ms), at(1200ms));
  timeline.add(at(2000ms), at(2100ms));
  EXPECT_TRUE(timeline.beside(sample(1100, 1)));    // inside the first
  EXPECT_TRUE(timeline.beside(sample(1001, 5)));    // started before it, ended in it
  EXPECT_TRUE(timeline.beside(sample(1205, 10)));   // started in it, ended after it
  EXPECT_TRUE(timeline.beside(sample(2200, 300)));  // ran across the whole second one
  EXPECT_TRUE(timeline.beside(sample(2000, 0)));    // ended as the second one started
  EXPECT_FALSE(timeline.beside(sample(999, 1)));    // before the first
  EXPECT_FALSE(timeline.beside(sample(1500, 1)));   // between the two
  EXPECT_FALSE(timeline.beside(sample(2102, 1)));   // started after the second one ended
}

TEST(BatchTimeline, KeepsTheNewestBatchesOnly) {
  BatchTimeline timeline(2);
  timeline.add(at(100ms), at(200ms));
  timeline.add(at(300ms), at(400ms));
  timeline.add(at(500ms), at(600ms));
  EXPECT_FALSE(timeline.beside(sample(150, 1)));  // the oldest is no longer kept
  EXPECT_TRUE(timeline.beside(sample(350, 1)));
  EXPECT_TRUE(timeline.beside(sample(550, 1)));
}

TEST(BatchExposure, CountsAndDescribesTheSlowSamplesOnEachSide) {
  BatchExposure exposure;
  EXPECT_EQ(exposure.describe(), "slow beside a batch: 0 of 0, away from batches: 0 of 0");
  for (int i = 0; i < 40; ++i) {
    exposure.count(i < 10, i < 5 || i == 20);
  }
  EXPECT_EQ(exposure.describe(),
            "slow beside a batch: 5 of 10 (50.0%), away from batches: 1 of 30 (3.3%)");
  exposure.halve();
  EXPECT_EQ(exposure.describe(),
            "slow beside a batch: 2 of 5 (40.0%), away from batches: 0 of 15 (0.0%)");
}

}  // namespace
}  // namespace tenantshift::analysis
