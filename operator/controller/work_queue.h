#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

namespace tenantshift::controller {

// The controller's queue of object keys ("namespace/name"), like client-go's rate-limited work
// queue: a key is queued once however often it is added (dedupe); a key being reconciled is
// handed to no other worker, and adding it meanwhile queues it again for when it is done; a
// failed key comes back after a per-key exponential backoff (5 ms doubling, capped) that a
// success resets; every retry also passes a global token bucket so that a storm of failures
// cannot flood the API server.
class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    std::chrono::milliseconds baseDelay{5};
    std::chrono::milliseconds maxDelay{std::chrono::minutes(5)};
    double retriesPerSecond = 10;  // the global bucket's rate
    int burst = 100;               // and size
  };

  WorkQueue() : WorkQueue(Limits{}) {}
  explicit WorkQueue(Limits limits);

  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  // After a failure: addAfter with the key's backoff (and the global limit).
  void addRateLimited(const std::string& key);
  // After a success: the key's backoff starts over.
  void forget(const std::string& key);
  int failures(const std::string& key) const;

  // The next key to reconcile; blocks until there is one, or returns nullopt once the stop is
  // requested or the queue is shut down.
  std::optional<std::string> get(const std::stop_token& stop);
  // The worker is done with `key` (call after every get).
  void done(const std::string& key);
  void shutdown();

  std::size_t size() const;
  // No key ready and none being reconciled (keys waiting out a delay may be held): the burst of
  // work that the last add started has been worked off.
  bool idle() const;

 private:
  void enqueueLocked(const std::string& key);
  void promoteDueLocked(Clock::time_point now);

  Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<std::string> ready_;
  std::set<std::string> queued_;      // in ready_
  std::set<std::string> processing_;  // handed to a worker
  std::set<std::string> dirty_;       // added while processing
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, int> failures_;
  double tokens_;
  Clock::time_point refilled_;
  bool shutdown_ = false;
  std::uint64_t version_ = 0;  // counts changes, for waiting workers
};

}  // namespace tenantshift::controller
