#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include "analysis/clock.h"
#include "analysis/sample_window.h"

namespace tenantshift::analysis {

// When the backfill's batches ran, so that each probe sample can be told apart by whether it ran
// beside one. The slow samples that batches cause are the ones that ran while a batch did
// (BENCHMARKS.md, issue 8: 39.5% of those above the baseline's p99, against 2% of the others);
// the others show what the application does on its own at the same time.
class BatchTimeline {
 public:
  // Keeps the newest `capacity` batches.
  explicit BatchTimeline(std::size_t capacity = 256);

  // A batch that ran from `start` to `end`; batches are added in the order they ran.
  void add(TimePoint start, TimePoint end);
  // Whether `sample` ran while a batch did: its run, from finishedAt less its latency to
  // finishedAt, overlaps a batch kept.
  bool beside(const LatencySample& sample) const;

  struct Batch {
    TimePoint start;
    TimePoint end;
  };
  // The newest batch; absent before the first.
  std::optional<Batch> newest() const;

 private:
  std::deque<Batch> batches_;
  std::size_t capacity_;
};

// Slow samples (above the tail-share threshold) among those that ran beside a batch and among
// the others.
struct BatchExposure {
  std::size_t beside = 0;
  std::size_t besideSlow = 0;
  std::size_t away = 0;
  std::size_t awaySlow = 0;

  void count(bool ranBeside, bool slow);
  void halve();
  // "slow beside a batch: 12 of 40 (30.0%), away from batches: 3 of 60 (5.0%)"
  std::string describe() const;
};

}  // namespace tenantshift::analysis
