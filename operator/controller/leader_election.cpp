#include "controller/leader_election.h"

#include <algorithm>
#include <stdexcept>

namespace tenantshift::controller {

void checkTimings(const LeaderElectionTimings& timings) {
  if (timings.retryPeriod <= std::chrono::seconds{0}) {
    throw std::invalid_argument("leader election: the retry period must be more than 0s");
  }
  if (timings.renewDeadline <= timings.retryPeriod) {
    throw std::invalid_argument(
        "leader election: the renew deadline must be longer than the retry period");
  }
  if (timings.leaseDuration <= timings.renewDeadline) {
    throw std::invalid_argument(
        "leader election: the lease duration must be longer than the renew deadline");
  }
}

void LeaseObservation::observe(const std::optional<LeaseRecord>& record, TimePoint now) {
  if (record != record_) {
    record_ = record;
    observedAt_ = now;
  }
}

void LeaseObservation::wrote(const LeaseRecord& record, TimePoint now) {
  record_ = record;
  observedAt_ = now;
}

LeaseDecision decideLease(const LeaseObservation& observed, const std::string& identity,
                          LeaseObservation::TimePoint now, const std::string& wallNow,
                          const LeaderElectionTimings& timings) {
  LeaseDecision decision;
  LeaseRecord& desired = decision.desired;
  desired.holderIdentity = identity;
  desired.leaseDurationSeconds = static_cast<int>(timings.leaseDuration.count());
  desired.acquireTime = wallNow;
  desired.renewTime = wallNow;
  if (!observed.record()) {
    decision.verdict = LeaseVerdict::Create;
    return decision;
  }
  const LeaseRecord& current = *observed.record();
  if (current.holderIdentity == identity) {
    decision.verdict = LeaseVerdict::Renew;
    desired.acquireTime = current.acquireTime;
    desired.leaseTransitions = current.leaseTransitions;
    return decision;
  }
  // The holder's own duration counts (it may run with other timings); never less than 1 s.
  const std::chrono::seconds duration{std::max(current.leaseDurationSeconds, 1)};
  const bool expired = now >= observed.observedAt() + duration;
  if (!current.holderIdentity.empty() && !expired) {
    decision.verdict = LeaseVerdict::HeldByOther;
    decision.desired = {};
    return decision;
  }
  decision.verdict = LeaseVerdict::TakeOver;
  desired.leaseTransitions = current.leaseTransitions + 1;
  return decision;
}

LeaseRecord releasedRecord(const LeaseRecord& held, const std::string& wallNow) {
  LeaseRecord released = held;
  released.holderIdentity.clear();
  released.leaseDurationSeconds = 1;
  released.renewTime = wallNow;
  return released;
}

LeaderTerm::LeaderTerm(TimePoint acquired, std::chrono::seconds renewDeadline)
    : lastRenewed_(acquired), renewDeadline_(renewDeadline) {}

void LeaderTerm::renewed(TimePoint now) {
  lastRenewed_ = now;
}

bool LeaderTerm::lost(TimePoint now) const {
  return now >= lastRenewed_ + renewDeadline_;
}

}  // namespace tenantshift::controller
