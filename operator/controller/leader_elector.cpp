#include "controller/leader_elector.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "kube/kube_error.h"

namespace tenantshift::controller {

LeaderElector::LeaderElector(LeaseLock& lock, kube::Clock& clock, WallClock& wallClock,
                             std::string identity, LeaderElectionTimings timings)
    : lock_(lock),
      clock_(clock),
      wallClock_(wallClock),
      identity_(std::move(identity)),
      timings_(timings) {
  checkTimings(timings_);
}

LeaderElector::Attempt LeaderElector::tryAcquireOrRenew() {
  try {
    const std::optional<LeaseState> current = lock_.get();
    const auto now = clock_.now();
    observed_.observe(current ? std::optional<LeaseRecord>(current->record) : std::nullopt, now);
    resourceVersion_ = current ? current->resourceVersion : "";
    const LeaseDecision decision =
        decideLease(observed_, identity_, now, rfc3339Micro(wallClock_.now()), timings_);
    std::optional<std::string> written;
    switch (decision.verdict) {
      case LeaseVerdict::HeldByOther:
        if (holderLogged_ != observed_.record()->holderIdentity) {
          holderLogged_ = observed_.record()->holderIdentity;
          spdlog::info("leader election: {} is held by {}; waiting", lock_.describe(),
                       holderLogged_);
        }
        return Attempt::HeldByOther;
      case LeaseVerdict::Create:
        written = lock_.create(decision.desired);
        break;
      case LeaseVerdict::Renew:
      case LeaseVerdict::TakeOver:
        written = lock_.update(decision.desired, resourceVersion_);
        break;
    }
    if (!written) {
      spdlog::info("leader election: another candidate wrote {} first", lock_.describe());
      return Attempt::Failed;
    }
    observed_.wrote(decision.desired, now);
    resourceVersion_ = *written;
    if (decision.verdict != LeaseVerdict::Renew) {
      spdlog::info("leader election: {} acquired identity={} transitions={}", lock_.describe(),
                   identity_, decision.desired.leaseTransitions);
    }
    return Attempt::Holding;
  } catch (const kube::KubeError& error) {
    spdlog::warn("leader election: {}: {}", lock_.describe(), error.what());
  } catch (const kube::KubeConnectionError& error) {
    spdlog::warn("leader election: {}: {}", lock_.describe(), error.what());
  }
  return Attempt::Failed;
}

bool LeaderElector::acquire(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    if (tryAcquireOrRenew() == Attempt::Holding) {
      return true;
    }
    if (!clock_.sleepFor(timings_.retryPeriod, stop)) {
      break;
    }
  }
  return false;
}

bool LeaderElector::lead(const std::stop_token& stop) {
  LeaderTerm term(clock_.now(), timings_.renewDeadline);
  while (clock_.sleepFor(timings_.retryPeriod, stop)) {
    const auto attempted = clock_.now();
    const Attempt attempt = tryAcquireOrRenew();
    if (attempt == Attempt::Holding) {
      term.renewed(attempted);
      continue;
    }
    if (attempt == Attempt::HeldByOther) {
      spdlog::error("leader election: {} was taken over by {}: leadership lost", lock_.describe(),
                    observed_.record()->holderIdentity);
      return false;
    }
    if (term.lost(clock_.now())) {
      spdlog::error("leader election: {} not renewed for {}s (renew deadline): leadership lost",
                    lock_.describe(), timings_.renewDeadline.count());
      return false;
    }
  }
  return true;
}

void LeaderElector::release() {
  if (!observed_.record() || observed_.record()->holderIdentity != identity_) {
    return;
  }
  try {
    const LeaseRecord released =
        releasedRecord(*observed_.record(), rfc3339Micro(wallClock_.now()));
    if (lock_.update(released, resourceVersion_)) {
      observed_.wrote(released, clock_.now());
      spdlog::info("leader election: {} released", lock_.describe());
    }
  } catch (const std::exception& error) {
    // It expires on its own after leaseDuration.
    spdlog::warn("leader election: {} not released: {}", lock_.describe(), error.what());
  }
}

}  // namespace tenantshift::controller
