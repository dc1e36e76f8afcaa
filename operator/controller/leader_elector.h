#pragma once

#include <stop_token>
#include <string>

#include "controller/leader_election.h"
#include "controller/lease_lock.h"
#include "controller/wall_clock.h"
#include "kube/clock.h"

namespace tenantshift::controller {

// Runs leader election for one candidate (client-go's LeaderElector): tries to acquire the Lease
// every retryPeriod, then renews it every retryPeriod while leading. A leader that cannot renew
// for renewDeadline, or finds another holder, has lost: it must stop acting as leader at once
// (the operator exits, so that it restarts as a candidate). On a clean stop the leader releases
// the Lease so that another replica takes over without waiting for it to expire.
class LeaderElector {
 public:
  // lock and the clocks must outlive the elector. Throws std::invalid_argument for timings
  // that cannot work (see checkTimings).
  LeaderElector(LeaseLock& lock, kube::Clock& clock, WallClock& wallClock, std::string identity,
                LeaderElectionTimings timings = {});

  // Blocks until this candidate holds the Lease (true) or stop is requested (false).
  bool acquire(const std::stop_token& stop);
  // After acquire: renews until leadership is lost (returns false) or stop is requested (returns
  // true; the Lease is still held: release it once the work has stopped).
  bool lead(const std::stop_token& stop);
  // Gives the Lease up (no holder) so that another candidate takes over on its next try instead
  // of waiting for it to expire. Nothing when this candidate does not hold it.
  void release();

  const std::string& identity() const { return identity_; }

 private:
  enum class Attempt { Holding, HeldByOther, Failed };
  // One get, decide, create or update.
  Attempt tryAcquireOrRenew();

  LeaseLock& lock_;
  kube::Clock& clock_;
  WallClock& wallClock_;
  std::string identity_;
  LeaderElectionTimings timings_;
  LeaseObservation observed_;
  std::string resourceVersion_;  // of the Lease as last read or written
  std::string holderLogged_;     // the other holder last logged, so that it is logged once
};

}  // namespace tenantshift::controller
