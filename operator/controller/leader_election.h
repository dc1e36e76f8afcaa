#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tenantshift::controller {

// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// this file is the pure decision (data in, decision out); lease_lock.h reads and writes the
// Lease, leader_elector.h runs the loop.

// What a Lease's spec says.
struct LeaseRecord {
  std::string holderIdentity;  // "" when nobody holds it (released)
  int leaseDurationSeconds = 0;
  std::string acquireTime;  // RFC 3339 with microseconds, the holder's clock
  std::string renewTime;
  int leaseTransitions = 0;

  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

struct LeaderElectionTimings {
  // How long a candidate that sees no renewal waits before it takes the Lease over.
  std::chrono::seconds leaseDuration{15};
  // How long the leader keeps trying to renew before it stops acting as leader.
  std::chrono::seconds renewDeadline{10};
  // How often candidates try to acquire and the leader renews.
  std::chrono::seconds retryPeriod{2};
};

// Throws std::invalid_argument unless leaseDuration > renewDeadline > retryPeriod > 0 (the
// leader must give up before anyone may take over).
void checkTimings(const LeaderElectionTimings& timings);

// When a candidate last saw the Lease change, on its own monotonic clock. Expiry is judged by
// that, never by the times written in the Lease (another machine's clock).
class LeaseObservation {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Records what the Lease says now; the observation time moves only when the record changed.
  void observe(const std::optional<LeaseRecord>& record, TimePoint now);
  // The record as written by this candidate (after a successful create or update).
  void wrote(const LeaseRecord& record, TimePoint now);

  const std::optional<LeaseRecord>& record() const { return record_; }
  TimePoint observedAt() const { return observedAt_; }

 private:
  std::optional<LeaseRecord> record_;
  TimePoint observedAt_{};
};

enum class LeaseVerdict {
  Create,       // there is no Lease: create it, holding it
  Renew,        // this candidate holds it: write a new renewTime
  TakeOver,     // released, or its holder has not renewed for leaseDuration: take it
  HeldByOther,  // someone else holds it and renews it: do nothing
};

struct LeaseDecision {
  LeaseVerdict verdict = LeaseVerdict::HeldByOther;
  LeaseRecord desired;  // the record to write (not for HeldByOther)
};

// One attempt to acquire or renew: what to write, given the Lease as just read (already
// observed), this candidate's identity and the clocks. `wallNow` is what goes in the Lease.
LeaseDecision decideLease(const LeaseObservation& observed, const std::string& identity,
                          LeaseObservation::TimePoint now, const std::string& wallNow,
                          const LeaderElectionTimings& timings);

// The record that gives the Lease up at once (on a clean shutdown): no holder, and a duration of
// one second so that a candidate takes it over on its next try.
LeaseRecord releasedRecord(const LeaseRecord& held, const std::string& wallNow);

// The leader's side: leading since the last successful renewal, lost once renewDeadline passes
// without one (it must stop acting before any candidate may take over).
class LeaderTerm {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  LeaderTerm(TimePoint acquired, std::chrono::seconds renewDeadline);
  void renewed(TimePoint now);
  bool lost(TimePoint now) const;
  TimePoint lastRenewed() const { return lastRenewed_; }

 private:
  TimePoint lastRenewed_;
  std::chrono::seconds renewDeadline_;
};

}  // namespace tenantshift::controller
