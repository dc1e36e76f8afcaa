#include "controller/work_queue.h"

#include <algorithm>
#include <cmath>

namespace tenantshift::controller {

WorkQueue::WorkQueue(Limits limits)
    : limits_(limits), tokens_(limits.burst), refilled_(Clock::now()) {}

void WorkQueue::enqueueLocked(const std::string& key) {
  if (shutdown_) {
    return;
  }
  if (processing_.count(key) != 0) {
    dirty_.insert(key);
    return;
  }
  if (queued_.insert(key).second) {
    ready_.push_back(key);
    ++version_;
    changed_.notify_all();
  }
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mutex_);
  enqueueLocked(key);
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay <= std::chrono::milliseconds::zero()) {
    add(key);
    return;
  }
  std::lock_guard lock(mutex_);
  if (shutdown_) {
    return;
  }
  // One pending delay per key is enough: keep the earliest.
  const auto due = Clock::now() + delay;
  for (auto it = delayed_.begin(); it != delayed_.end(); ++it) {
    if (it->second == key) {
      if (it->first <= due) {
        return;
      }
      delayed_.erase(it);
      break;
    }
  }
  delayed_.emplace(due, key);
  ++version_;
  changed_.notify_all();
}

void WorkQueue::addRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    const int failures = failures_[key]++;
    const double perKey =
        static_cast<double>(limits_.baseDelay.count()) * std::pow(2.0, std::min(failures, 30));
    delay = std::chrono::milliseconds(
        static_cast<std::int64_t>(std::min(perKey, static_cast<double>(limits_.maxDelay.count()))));
    // The global bucket: refill, then take a token, waiting for it when there is none.
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min<double>(limits_.burst, tokens_ + elapsed * limits_.retriesPerSecond);
    refilled_ = now;
    tokens_ -= 1;
    if (tokens_ < 0) {
      const auto wait = std::chrono::milliseconds(
          static_cast<std::int64_t>(-tokens_ / limits_.retriesPerSecond * 1000));
      delay = std::max(delay, wait);
    }
  }
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

int WorkQueue::failures(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    const std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    enqueueLocked(key);
  }
}

std::optional<std::string> WorkQueue::get(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (true) {
    if (shutdown_ || stop.stop_requested()) {
      return std::nullopt;
    }
    promoteDueLocked(Clock::now());
    if (!ready_.empty()) {
      std::string key = ready_.front();
      ready_.pop_front();
      queued_.erase(key);
      processing_.insert(key);
      return key;
    }
    // Wake on any change (a new key, an earlier delay, shutdown) or when the first delay is due.
    const std::uint64_t seen = version_;
    auto changedSince = [&] { return version_ != seen; };
    if (delayed_.empty()) {
      changed_.wait(lock, stop, changedSince);
    } else {
      changed_.wait_until(lock, stop, delayed_.begin()->first, changedSince);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mutex_);
  processing_.erase(key);
  if (dirty_.erase(key) != 0) {
    enqueueLocked(key);
  }
}

void WorkQueue::shutdown() {
  std::lock_guard lock(mutex_);
  shutdown_ = true;
  ++version_;
  changed_.notify_all();
}

std::size_t WorkQueue::size() const {
  std::lock_guard lock(mutex_);
  return ready_.size() + delayed_.size();
}

bool WorkQueue::idle() const {
  std::lock_guard lock(mutex_);
  return ready_.empty() && processing_.empty();
}

}  // namespace tenantshift::controller
