#include "analysis/lock_waits.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tenantshift::analysis {

LockWaits readLockWaits(pqxx::transaction_base& tx, int pid, int serverVersion) {
  // OFFSET 0 keeps the cheap filter below pg_blocking_pids, which briefly locks the lock
  // manager's shared state.
  const std::string waitedSince =
      serverVersion >= 140000
          ? "(SELECT min(l.waitstart) FROM pg_locks l WHERE l.pid = w.pid AND NOT l.granted)"
          : "w.query_start";
  const pqxx::row row = tx.exec_params1(
      "SELECT count(*)::int, coalesce(max(extract(epoch FROM clock_timestamp() - " + waitedSince +
          ")) * 1000, 0)::float8 FROM (SELECT a.pid, a.query_start FROM pg_stat_activity a "
          "WHERE a.wait_event_type = 'Lock' AND a.pid <> $1::int OFFSET 0) w "
          "WHERE $1::int = ANY (pg_blocking_pids(w.pid))",
      std::to_string(pid));
  return LockWaits{row[0].as<int>(), std::max(0.0, row[1].as<double>())};
}

LockWaitWatcher::LockWaitWatcher(ConnectionFactory connect, std::chrono::milliseconds interval)
    : connect_(std::move(connect)), interval_(interval), thread_([this] { loop(); }) {}

LockWaitWatcher::~LockWaitWatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void LockWaitWatcher::watch(std::optional<int> pid) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pid_ = pid;
  }
  changed_.notify_all();
}

LockWaits LockWaitWatcher::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  const LockWaits out = worst_;
  worst_ = LockWaits{};
  return out;
}

bool LockWaitWatcher::awaitPolls(std::uint64_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return polls_ >= count; });
}

std::uint64_t LockWaitWatcher::polls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return polls_;
}

void LockWaitWatcher::poll(int pid) {
  try {
    if (connection_ && !connection_->is_open()) {
      connection_.reset();
    }
    if (!connection_) {
      connection_ = connect_();
      pqxx::nontransaction setup(*connection_);
      setup.exec("SET application_name = 'tenantshift lock watch'");
      serverVersion_ = connection_->server_version();
    }
    pqxx::read_transaction tx(*connection_);
    const LockWaits seen = readLockWaits(tx, pid, serverVersion_);
    std::lock_guard<std::mutex> lock(mutex_);
    worst_.sessions = std::max(worst_.sessions, seen.sessions);
    worst_.longestMillis = std::max(worst_.longestMillis, seen.longestMillis);
  } catch (const std::exception& error) {
    // The thread's boundary: a failed poll (the connection dropped) is retried at the next one.
    connection_.reset();
    std::lock_guard<std::mutex> lock(mutex_);
    if ((failures_++ % 100) == 0) {
      spdlog::warn("lock wait watch failed failures={} error=\"{}\"", failures_, error.what());
    }
  }
}

void LockWaitWatcher::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stop_ || pid_.has_value(); });
    if (stop_) {
      return;
    }
    const int pid = *pid_;
    lock.unlock();
    poll(pid);
    lock.lock();
    ++polls_;
    changed_.notify_all();
    changed_.wait_for(lock, interval_, [this] { return stop_; });
    if (stop_) {
      return;
    }
  }
}

WatchedBackend::WatchedBackend(LockWaitWatcher* watcher, int pid) : watcher_(watcher) {
  if (watcher_ != nullptr) {
    watcher_->watch(pid);
  }
}

WatchedBackend::~WatchedBackend() {
  if (watcher_ != nullptr) {
    watcher_->watch(std::nullopt);
  }
}

}  // namespace tenantshift::analysis
