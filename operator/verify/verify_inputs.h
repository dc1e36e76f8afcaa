#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "api/migration_spec.h"
#include "db/retry_policy.h"
#include "plan/catalog.h"
#include "plan/plan.h"

namespace tenantshift::verify {

// What the verifier is asked to prove.
struct VerifyInputs {
  const api::MigrationSpec& spec;
  // The catalog snapshot from before the migration: the plan was made from it, and the policy
  // conditions an empty table is compared with are the plan's.
  const plan::Catalog& before;
  const plan::Plan& plan;  // the tenant tables (and their partitions), index replacements, ...
  // Row counts recorded when the migration started (table -> rows); a difference is a Warning.
  const std::map<std::string, std::int64_t>& baselineCounts;
  // The enforce step has run: no tenant set must mean no rows (else: every row).
  bool strict = false;
};

// How the verifier runs. Every unit of work (one relation's counts, one relation's probes)
// runs in its own short transaction under spec.ddl.lockTimeout; one that cannot get its locks
// (lock timeout, deadlock, serialization failure) is retried with backoff and, if it still
// cannot run, reported as Failed ("isolation not proven").
struct VerifyOptions {
  db::RetryPolicy retry;
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: std::this_thread::sleep_for
  std::function<double()> random;                        // uniform in [0, 1); empty: 1.0
  // Called after the probes of each relation, once their transaction has ended (tests check that
  // verify then holds no lock). Gets the relation's label.
  std::function<void(const std::string& relation)> afterRelationProbed;

  void sleepFor(std::chrono::milliseconds duration) const;
  double unitRandom() const;
};

}  // namespace tenantshift::verify
