#pragma once

#include "engine/engine.h"
#include "engine/verify_report.h"

namespace tenantshift::engine {

// Thrown by Engine::run when the verify step's report has a failed check: an EngineError (so
// callers that only know EngineError stop with its summary) that also carries the full report
// for callers that print it. The report is stored in the ledger (tenantshift.step.report) too.
class VerifyFailedError : public EngineError {
 public:
  VerifyFailedError(const std::string& message, VerifyReport report)
      : EngineError(message, Outcome::VerifyFailed), report_(std::move(report)) {}
  const VerifyReport& report() const { return report_; }

 private:
  VerifyReport report_;
};

}  // namespace tenantshift::engine
