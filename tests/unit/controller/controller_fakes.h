#pragma once

// Fakes at the controller's seams (the wall clock, the migration database), for the reconciler
// and leader election tests; the kube client's fakes are in unit/kube/fakes.h.

#include <functional>
#include <map>
#include <string>

#include "controller/migration_database.h"
#include "controller/wall_clock.h"

namespace tenantshift::controller::testing {

// Time of day that moves only when a test advances it.
class FakeWallClock final : public WallClock {
 public:
  explicit FakeWallClock(TimePoint start) : now_(start) {}
  TimePoint now() const override { return now_; }
  void advance(std::chrono::seconds by) { now_ += by; }

 private:
  TimePoint now_;
};

// The database as a test sets it up: the ledger view per database URL, or a failure.
class FakeMigrationDatabase final : public MigrationDatabase {
 public:
  LedgerView read(const std::string& databaseUrl, const api::TenantMigration&) override {
    ++reads;
    urls.push_back(databaseUrl);
    if (failure) {
      failure();
    }
    return ledger;
  }

  LedgerView ledger;
  std::function<void()> failure;  // throws DatabaseUnreachable, PlanRefused, ...
  int reads = 0;
  std::vector<std::string> urls;
};

}  // namespace tenantshift::controller::testing
