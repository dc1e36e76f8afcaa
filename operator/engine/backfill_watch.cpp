#include "engine/backfill_watch.h"

#include <algorithm>
#include <optional>
#include <string>

#include "analysis/sql_latency_probe.h"

namespace tenantshift::engine {

BackfillWatch::BackfillWatch(const ThrottleConfig& config, const std::string& appRole,
                             const analysis::ConnectionFactory& connect,
                             const analysis::Clock& clock) {
  const std::size_t capacity =
      std::max(config.baselineSamples, config.controller.windowSamples) * 2;
  sampler_ = std::make_unique<analysis::ProbeSampler>(
      std::make_unique<analysis::SqlLatencyProbe>(
          connect, appRole, config.probeSql,
          config.probeCommit ? std::optional<std::string>(kProbeCommitWrite) : std::nullopt,
          config.probeTimeout, clock),
      config.probeInterval, capacity, clock);
  locks_ = std::make_unique<analysis::LockWaitWatcher>(connect, kLockWatchInterval);
}

}  // namespace tenantshift::engine
