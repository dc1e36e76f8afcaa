#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "analysis/clock.h"
#include "analysis/probe.h"
#include "analysis/sample_window.h"

namespace tenantshift::analysis {

// Runs a probe on a background thread every `interval` (start to start; the next starts at once
// when one takes longer) and keeps its newest samples. A background thread rather than probing
// between batches: the application suffers while a batch runs, and that is when the probe must
// look; a probe stuck behind a lock is also seen while it is stuck (runningSince). The thread
// stops when the sampler is destroyed.
class ProbeSampler {
 public:
  ProbeSampler(std::unique_ptr<Probe> probe, std::chrono::milliseconds interval,
               std::size_t capacity, const Clock& clock);
  ~ProbeSampler();
  ProbeSampler(const ProbeSampler&) = delete;
  ProbeSampler& operator=(const ProbeSampler&) = delete;

  // The `limit` newest samples, oldest first.
  std::vector<LatencySample> newest(std::size_t limit) const;
  // Samples finished after `after` (at most the `limit` newest).
  std::vector<LatencySample> since(TimePoint after, std::size_t limit) const;
  // When the measurement in progress started; absent between measurements.
  std::optional<TimePoint> runningSince() const;
  // Measurements taken so far (successful or not).
  std::uint64_t taken() const;
  // Blocks until `count` measurements have been taken in all, or `timeout` passed; returns
  // whether they were.
  bool awaitTaken(std::uint64_t count, std::chrono::milliseconds timeout) const;
  // The error of the newest failed measurement ("" when none failed yet).
  std::string lastError() const;
  const Probe& probe() const { return *probe_; }

 private:
  void loop();

  std::unique_ptr<Probe> probe_;
  std::chrono::milliseconds interval_;
  const Clock& clock_;
  mutable std::mutex mutex_;  // guards window_, running_, lastError_, stop_
  mutable std::condition_variable changed_;
  SampleWindow window_;
  std::optional<TimePoint> running_;
  std::string lastError_;
  bool stop_ = false;
  std::thread thread_;  // last: started once everything it uses is initialised
};

}  // namespace tenantshift::analysis
