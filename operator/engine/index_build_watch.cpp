#include "engine/index_build_watch.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

#include "engine/ddl_retry.h"

namespace tenantshift::engine {

namespace {

// The sessions backend $1 waits for, with what an on-call engineer needs to find them, and the
// index build's phase when it is a CREATE INDEX.
constexpr const char* kBlockers = R"sql(
  SELECT b.pid, coalesce(b.usename::text, ''), coalesce(b.application_name, ''),
         coalesce(to_json(b.xact_start) #>> '{}', ''), coalesce(b.state, ''),
         coalesce((SELECT p.phase FROM pg_catalog.pg_stat_progress_create_index p
                    WHERE p.pid = $1), '')
    FROM unnest(pg_catalog.pg_blocking_pids($1)) AS w(pid)
    JOIN pg_catalog.pg_stat_activity b ON b.pid = w.pid
   ORDER BY b.xact_start NULLS LAST
)sql";

}  // namespace

IndexBuildWatch::IndexBuildWatch(const ConnectionFactory& factory, int pid, std::string stepId,
                                 std::chrono::milliseconds interval)
    : pid_(pid), stepId_(std::move(stepId)), interval_(interval) {
  thread_ = std::thread([this, factory] { watch(factory); });
}

IndexBuildWatch::~IndexBuildWatch() {
  stop();
}

void IndexBuildWatch::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void IndexBuildWatch::watch(const ConnectionFactory& factory) {
  std::unique_ptr<pqxx::connection> connection;
  std::string lastReport;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        return;
      }
    }
    try {
      if (!connection) {
        connection = factory();
      }
      pqxx::read_transaction tx(*connection);
      const pqxx::result blockers = tx.exec_params(kBlockers, pid_);
      if (blockers.empty()) {
        continue;
      }
      std::string who;
      for (const auto& row : blockers) {
        who += (who.empty() ? "" : "; ") + std::string("pid ") + row[0].c_str() + " (user " +
               row[1].c_str() + ", application '" + row[2].c_str() + "', " + row[4].c_str() +
               (row[3].is_null() || std::string(row[3].c_str()).empty()
                    ? std::string("")
                    : ", transaction open since " + std::string(row[3].c_str())) +
               ")";
      }
      const std::string phase = blockers[0][5].c_str();
      if (who != lastReport) {
        spdlog::warn(
            "step waiting id={} for={} phase=\"{}\": a concurrent index build waits for every "
            "transaction older than it to end (it does not block the application meanwhile); "
            "end or wait for those transactions",
            stepId_, who, phase.empty() ? "waiting for a lock" : phase);
        lastReport = who;
      }
    } catch (const std::exception& error) {
      spdlog::debug("index build watch of step {} could not query: {}", stepId_,
                    firstLine(error.what()));
      connection.reset();
    }
  }
}

}  // namespace tenantshift::engine
