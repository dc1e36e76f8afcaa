#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/migration_spec.h"
#include "engine/engine.h"
#include "engine/execution.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "plan/plan.h"
#include "verify/verifier.h"
#include "verify/verify_report.h"

namespace tenantshift::engine {

// Runs the verify step (plan::Execution::Verify) and records its report, with the schema
// fingerprint the verdict holds for, in the ledger: a failed verification marks the step
// failed and throws VerifyFailedError; a passed one marks it done. Also tells whether a recorded
// verdict still holds (the schema fingerprint is unchanged), so that `run` re-verifies when the
// schema changed since.
class VerifyStep {
 public:
  VerifyStep(Session& session, const Ledger& ledger, const ExecutionSettings& settings,
             RunObserver& observer, const api::MigrationSpec& spec, const plan::Catalog& before,
             const plan::Plan& plan, const std::map<std::string, std::int64_t>& baselineCounts)
      : session_(session),
        ledger_(ledger),
        settings_(settings),
        observer_(observer),
        spec_(spec),
        before_(before),
        plan_(plan),
        baselineCounts_(baselineCounts) {}

  // Verifies now (strict: after enforcement) and records it; returns the report.
  verify::VerifyReport run(const plan::Step& step, bool strict);
  // The verification recorded for `step`, if any.
  std::optional<VerificationRecord> recorded(const plan::Step& step);
  // Whether the recorded verification of `step` was made on the schema as it is now.
  bool stillHolds(const plan::Step& step);

 private:
  Session& session_;
  const Ledger& ledger_;
  const ExecutionSettings& settings_;
  RunObserver& observer_;
  const api::MigrationSpec& spec_;
  const plan::Catalog& before_;
  const plan::Plan& plan_;
  const std::map<std::string, std::int64_t>& baselineCounts_;
};

VerificationRecord verificationOf(const nlohmann::json& report);

// The verifier's options from the engine's: its retry policy, injected sleep and randomness.
verify::VerifyOptions verifyOptionsFor(const ExecutionSettings& settings);

}  // namespace tenantshift::engine
