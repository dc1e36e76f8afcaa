#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <thread>

#include "analysis/lock_wait_stats.h"
#include "analysis/probe.h"

namespace tenantshift::analysis {

// The sessions waiting now for a lock that backend `pid` holds (pg_blocking_pids) and how long
// the longest has waited (pg_locks.waitstart, PostgreSQL 14 and later; before that the time
// since its query started). Cheap when nobody waits: pg_blocking_pids runs only for sessions
// whose wait_event_type is Lock.
LockWaits readLockWaits(pqxx::transaction_base& tx, int pid, int serverVersion);

// Polls readLockWaits for one backend on its own connection and thread every `interval` while a
// backend is being watched, and keeps the worst seen until take(). Lock waits have to be seen
// while the batch holds its locks, which is why this cannot run between batches.
class LockWaitWatcher {
 public:
  LockWaitWatcher(ConnectionFactory connect, std::chrono::milliseconds interval);
  ~LockWaitWatcher();
  LockWaitWatcher(const LockWaitWatcher&) = delete;
  LockWaitWatcher& operator=(const LockWaitWatcher&) = delete;

  // Watches backend `pid` from now on (absent: stop watching). WatchedBackend does this for a
  // scope.
  void watch(std::optional<int> pid);
  // The worst waits seen since the last take(), and starts over.
  LockWaits take();
  // Blocks until `count` polls have finished in all (successful or not), or `timeout` passed;
  // returns whether they had: a wait that began before poll N started is seen by poll N.
  bool awaitPolls(std::uint64_t count, std::chrono::milliseconds timeout) const;
  std::uint64_t polls() const;

 private:
  void loop();
  void poll(int pid);

  ConnectionFactory connect_;
  std::chrono::milliseconds interval_;
  std::unique_ptr<pqxx::connection> connection_;  // used by the thread only
  int serverVersion_ = 0;                         // used by the thread only
  mutable std::mutex mutex_;                      // guards pid_, worst_, stop_, failures_, polls_
  mutable std::condition_variable changed_;
  std::optional<int> pid_;
  LockWaits worst_;
  bool stop_ = false;
  int failures_ = 0;
  std::uint64_t polls_ = 0;
  std::thread thread_;  // last: started once everything it uses is initialised
};

// Watches one backend for as long as it lives: the scope of one statement on one connection
// (a retry that reconnects gets another backend, and so another scope). Nothing is watched when
// `watcher` is null (the lock-wait throttle is off).
class WatchedBackend {
 public:
  WatchedBackend(LockWaitWatcher* watcher, int pid);
  ~WatchedBackend();
  WatchedBackend(const WatchedBackend&) = delete;
  WatchedBackend& operator=(const WatchedBackend&) = delete;

 private:
  LockWaitWatcher* watcher_;
};

}  // namespace tenantshift::analysis
