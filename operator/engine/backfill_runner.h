#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/execution.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "plan/step.h"

namespace tenantshift::engine {

// Runs a Backfill step's BackfillTask: keyset batches from the cursor recorded in the ledger,
// each batch and its cursor update in one short transaction (with lock_timeout), so a run
// killed at any point resumes exactly after the last committed batch without repeating or
// losing rows; `backfillPause` between batches; then the sweep until it updates nothing; then
// the step is done with rows = every row the backfill updated (across resumed runs).
class BackfillRunner {
 public:
  BackfillRunner(Session& session, const Ledger& ledger, const ExecutionSettings& settings,
                 RunObserver& observer, int batchSize, std::string defaultTenantId)
      : session_(session),
        ledger_(ledger),
        settings_(settings),
        observer_(observer),
        batchSize_(batchSize),
        defaultTenantId_(std::move(defaultTenantId)) {}

  // Returns the total rows updated. Failures are recorded and thrown as EngineError.
  std::int64_t run(const plan::Step& step);

 private:
  // The key of the table's last row now (the keyset pass's end), or nullopt when it is empty.
  std::optional<std::vector<std::string>> upperBound(const plan::Step& step);
  // One keyset batch up to `bound`; false when the keyset pass is over.
  bool batch(const plan::Step& step, const std::vector<std::string>& bound, std::int64_t& rowsDone);
  // One sweep statement; returns the rows it updated.
  std::int64_t sweep(const plan::Step& step, std::int64_t& rowsDone);

  Session& session_;
  const Ledger& ledger_;
  const ExecutionSettings& settings_;
  RunObserver& observer_;
  int batchSize_;
  std::string defaultTenantId_;
};

}  // namespace tenantshift::engine
