#include "analysis/probe_sampler.h"

#include <spdlog/spdlog.h>

namespace tenantshift::analysis {

ProbeSampler::ProbeSampler(std::unique_ptr<Probe> probe, std::chrono::milliseconds interval,
                           std::size_t capacity, const Clock& clock)
    : probe_(std::move(probe)),
      interval_(interval),
      clock_(clock),
      window_(capacity),
      thread_([this] { loop(); }) {}

ProbeSampler::~ProbeSampler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ProbeSampler::loop() {
  std::uint64_t failures = 0;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) {
        return;
      }
      running_ = clock_.now();
    }
    ProbeResult result;
    try {
      result = probe_->measure();
    } catch (const std::exception& error) {
      // Probe implementations report failures as samples; this is the thread's boundary.
      result.sample.finishedAt = clock_.now();
      result.sample.failed = true;
      result.error = error.what();
    }
    if (result.sample.failed && (failures++ % 100) == 0) {
      spdlog::warn("latency probe failed probe=\"{}\" failures={} error=\"{}\"", probe_->describe(),
                   failures, result.error);
    }
    spdlog::trace("latency probe sample millis={:.3f} failed={}", result.sample.millis,
                  result.sample.failed);
    std::unique_lock<std::mutex> lock(mutex_);
    running_.reset();
    window_.add(result.sample);
    if (result.sample.failed) {
      lastError_ = result.error;
    }
    changed_.notify_all();
    changed_.wait_until(lock, start + interval_, [this] { return stop_; });
    if (stop_) {
      return;
    }
  }
}

std::vector<LatencySample> ProbeSampler::newest(std::size_t limit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return window_.newest(limit);
}

std::vector<LatencySample> ProbeSampler::since(TimePoint after, std::size_t limit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return window_.since(after, limit);
}

std::optional<TimePoint> ProbeSampler::runningSince() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

std::uint64_t ProbeSampler::taken() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return window_.added();
}

bool ProbeSampler::awaitTaken(std::uint64_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return window_.added() >= count; });
}

std::string ProbeSampler::lastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastError_;
}

}  // namespace tenantshift::analysis
