#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace tenantshift::analysis {

// How batches are sized: a fixed size, or sized so that one batch takes `target` (adaptive),
// between `min` and `max` rows, starting at `initial`.
struct BatchSizing {
  std::optional<int> fixed;  // set: every batch has this size (no adaptation)
  std::chrono::milliseconds target{200};
  int min = 100;
  int max = 100000;
  int initial = 1000;
};

// Sizes batches to a target duration. After each batch, observe() takes the rows it covered and
// the time it took; next() is then rows-per-millisecond (smoothed) times the target, growing at
// most 2x per batch (a cold cache or a first batch says little about the next) and shrinking at
// once (a slow batch holds its row locks longer: the next one must be smaller), within
// [min, max]. Pure: the caller measures the time.
class BatchSizeController {
 public:
  // Throws std::invalid_argument for sizes < 1, min > max or a non-positive target.
  explicit BatchSizeController(const BatchSizing& sizing);

  int next() const { return next_; }
  // `requested` is the size the batch was asked for (the throttle may ask for less than next()),
  // `rows` the rows it covered (fewer than half of `requested` at the end of the table: such a
  // batch is not representative and does not change the size).
  void observe(int requested, std::int64_t rows, std::chrono::microseconds took);
  bool adaptive() const { return !sizing_.fixed.has_value(); }

 private:
  BatchSizing sizing_;
  int next_;
  std::optional<double> rowsPerMillis_;  // smoothed throughput
};

}  // namespace tenantshift::analysis
