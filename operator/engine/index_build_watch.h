#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "engine/execution.h"

namespace tenantshift::engine {

// Watches a CREATE/DROP INDEX CONCURRENTLY running in backend `pid` from a connection of its own
// and logs, as long as it waits, which sessions it waits for: such a build waits for every
// transaction older than it, anywhere in the database, and an on-call engineer needs to know which
// one (pid, user, application, since when) rather than see a step that seems stuck. Stops when
// stop() is called or it is destroyed; a watcher that cannot connect only logs that.
class IndexBuildWatch {
 public:
  IndexBuildWatch(const ConnectionFactory& factory, int pid, std::string stepId,
                  std::chrono::milliseconds interval = std::chrono::seconds(5));
  ~IndexBuildWatch();
  IndexBuildWatch(const IndexBuildWatch&) = delete;
  IndexBuildWatch& operator=(const IndexBuildWatch&) = delete;

  void stop();

 private:
  void watch(const ConnectionFactory& factory);

  int pid_;
  std::string stepId_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;  // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tenantshift::engine
