#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "analysis/clock.h"

namespace tenantshift::analysis {

// One measurement of a probe: when it finished, how long it took, and whether it failed (an
// error or a timeout; its time is then how long it ran before failing).
struct LatencySample {
  TimePoint finishedAt{};
  double millis = 0;
  bool failed = false;
};

// The most recent `capacity` samples, oldest first. Not thread-safe (ProbeSampler guards it).
class SampleWindow {
 public:
  explicit SampleWindow(std::size_t capacity);

  void add(const LatencySample& sample);
  // Samples that finished after `after`, oldest first; at most the `limit` newest of them.
  std::vector<LatencySample> since(TimePoint after, std::size_t limit) const;
  // The `limit` newest samples, oldest first.
  std::vector<LatencySample> newest(std::size_t limit) const;
  std::size_t size() const { return samples_.size(); }
  // Samples ever added (also those the window no longer holds).
  std::uint64_t added() const { return added_; }

 private:
  std::size_t capacity_;
  std::deque<LatencySample> samples_;
  std::uint64_t added_ = 0;
};

// The latency values of `samples`, in order (failed ones included with their time).
std::vector<double> millisOf(const std::vector<LatencySample>& samples);

}  // namespace tenantshift::analysis
