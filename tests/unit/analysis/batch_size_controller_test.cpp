#include "analysis/batch_size_controller.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tenantshift::analysis {
namespace {

using namespace std::chrono_literals;

BatchSizing adaptive(int initial = 1000) {
  BatchSizing sizing;
  sizing.target = 200ms;
  sizing.min = 100;
  sizing.max = 50000;
  sizing.initial = initial;
  return sizing;
}

// A table that takes `microsPerRow` per row (plus `overhead` per batch): runs `batches` batches
// and returns the sizes asked for.
std::vector<int> simulate(BatchSizeController& controller, int batches, double microsPerRow,
                          std::chrono::microseconds overhead = 0us) {
  std::vector<int> sizes;
  for (int i = 0; i < batches; ++i) {
    const int size = controller.next();
    sizes.push_back(size);
    controller.observe(
        size, size,
        overhead + std::chrono::microseconds(static_cast<std::int64_t>(size * microsPerRow)));
  }
  return sizes;
}

TEST(BatchSizeController, FixedSizeNeverChanges) {
  BatchSizing sizing;
  sizing.fixed = 5000;
  BatchSizeController controller(sizing);
  EXPECT_FALSE(controller.adaptive());
  EXPECT_EQ(simulate(controller, 3, 1000), (std::vector<int>{5000, 5000, 5000}));
}

TEST(BatchSizeController, GrowsAtMostTwofoldPerBatchToTheTarget) {
  BatchSizeController controller(adaptive());
  // 10 us per row: 200 ms is 20,000 rows.
  const auto sizes = simulate(controller, 8, 10);
  EXPECT_EQ(sizes[0], 1000);
  EXPECT_EQ(sizes[1], 2000);
  EXPECT_EQ(sizes[2], 4000);
  EXPECT_EQ(sizes[3], 8000);
  EXPECT_EQ(sizes[4], 16000);
  EXPECT_EQ(sizes[5], 20000);
  EXPECT_EQ(sizes[7], 20000);
}

TEST(BatchSizeController, ShrinksAtOnceWhenBatchesGetSlow) {
  BatchSizeController controller(adaptive(20000));
  simulate(controller, 3, 10);  // settled at 20,000
  ASSERT_EQ(controller.next(), 20000);
  // The next batch took 2 s instead of 200 ms (a lock, a cold cache): a tenth as many rows.
  controller.observe(20000, 20000, 2000ms);
  EXPECT_EQ(controller.next(), 2000);
}

TEST(BatchSizeController, StaysWithinItsBounds) {
  BatchSizeController slow(adaptive());
  slow.observe(1000, 1000, 100s);  // 100 ms per row
  EXPECT_EQ(slow.next(), 100);
  BatchSizeController fast(adaptive(40000));
  simulate(fast, 5, 0.1);  // 2M rows would fit in 200 ms
  EXPECT_EQ(fast.next(), 50000);
}

TEST(BatchSizeController, IgnoresTheShortBatchAtTheEndOfATable) {
  BatchSizeController controller(adaptive());
  simulate(controller, 3, 10);
  const int before = controller.next();
  controller.observe(before, 12, 50ms);  // 12 rows left, mostly overhead
  EXPECT_EQ(controller.next(), before);
}

TEST(BatchSizeController, KeepsItsSizeWhileTheThrottleAsksForSmallerBatches) {
  BatchSizeController controller(adaptive(20000));
  simulate(controller, 3, 10);
  ASSERT_EQ(controller.next(), 20000);
  // The throttle runs batches of a quarter of that: they go at the same speed per row.
  for (int i = 0; i < 10; ++i) {
    controller.observe(5000, 5000, 50ms);
  }
  EXPECT_EQ(controller.next(), 20000);
}

TEST(BatchSizeController, RefusesImpossibleSizing) {
  BatchSizing sizing = adaptive();
  sizing.min = 0;
  EXPECT_THROW(BatchSizeController{sizing}, std::invalid_argument);
  sizing = adaptive();
  sizing.max = 50;
  EXPECT_THROW(BatchSizeController{sizing}, std::invalid_argument);
  sizing = adaptive();
  sizing.target = 0ms;
  EXPECT_THROW(BatchSizeController{sizing}, std::invalid_argument);
}

}  // namespace
}  // namespace tenantshift::analysis
