#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "analysis/clock.h"
#include "analysis/lock_waits.h"
#include "analysis/probe.h"
#include "analysis/probe_sampler.h"
#include "analysis/throttle_controller.h"

namespace tenantshift::engine {

// spec.backfill.throttle, as the engine uses it.
struct ThrottleConfig {
  analysis::ThrottleSettings controller;
  std::string probeSql = "SELECT 1";
  std::chrono::milliseconds probeInterval{20};
  std::chrono::milliseconds probeTimeout{1000};
  bool probeCommit = true;  // each probe ends with a durable commit of kProbeCommitWrite
  std::size_t baselineSamples = 200;
};

// What the throttle watches while a backfill runs, for one run of the engine, each on its own
// connection and thread: the latency probe (as the application's role) and the sessions the
// backfill's batches keep waiting. Started when constructed, stopped when destroyed. (The
// standbys' replication lag is read on the backfill's own connection between batches: it changes
// slowly, and one read per batch costs nothing.)
class BackfillWatch {
 public:
  // How often the lock waits of a running batch are looked at.
  static constexpr std::chrono::milliseconds kLockWatchInterval{100};
  // The probe's write when it commits (migrations/ledger/006_probe_commit.sql): the runner's own
  // row, so that the COMMIT waits for the WAL flush and changes nothing of the application's.
  static constexpr const char* kProbeCommitWrite =
      "UPDATE tenantshift.probe_commit SET probed_at = pg_catalog.clock_timestamp()";

  BackfillWatch(const ThrottleConfig& config, const std::string& appRole,
                const analysis::ConnectionFactory& connect, const analysis::Clock& clock);

  analysis::ProbeSampler& sampler() { return *sampler_; }
  analysis::LockWaitWatcher& locks() { return *locks_; }

 private:
  std::unique_ptr<analysis::ProbeSampler> sampler_;
  std::unique_ptr<analysis::LockWaitWatcher> locks_;
};

}  // namespace tenantshift::engine
