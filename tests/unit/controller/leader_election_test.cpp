// Leader election's decision (pure): who may hold the Lease, judged by when this candidate saw
// it change on its own clock; and the leader's renew deadline.
#include "controller/leader_election.h"

#include <gtest/gtest.h>

namespace tenantshift::controller {
namespace {

using std::chrono::seconds;
using TimePoint = LeaseObservation::TimePoint;

const TimePoint kStart{std::chrono::hours(1000)};
const LeaderElectionTimings kTimings{};  // 15 s / 10 s / 2 s

LeaseRecord heldBy(const std::string& holder, const std::string& renewTime = "t0") {
  return LeaseRecord{holder, 15, "t0", renewTime, 2};
}

LeaseDecision decideAt(const LeaseObservation& observed, TimePoint now) {
  return decideLease(observed, "me", now, "wall", kTimings);
}

TEST(LeaderElection, TheDefaultsAreFifteenTenAndTwoSeconds) {
  EXPECT_EQ(kTimings.leaseDuration, seconds{15});
  EXPECT_EQ(kTimings.renewDeadline, seconds{10});
  EXPECT_EQ(kTimings.retryPeriod, seconds{2});
  EXPECT_NO_THROW(checkTimings(kTimings));
}

TEST(LeaderElection, TimingsWhereTheLeaderCouldOutliveItsLeaseAreRefused) {
  EXPECT_THROW(checkTimings({seconds{10}, seconds{10}, seconds{2}}), std::invalid_argument);
  EXPECT_THROW(checkTimings({seconds{15}, seconds{2}, seconds{2}}), std::invalid_argument);
  EXPECT_THROW(checkTimings({seconds{15}, seconds{10}, seconds{0}}), std::invalid_argument);
}

TEST(LeaderElection, NoLeaseIsCreatedHeldByThisCandidate) {
  LeaseObservation observed;
  observed.observe(std::nullopt, kStart);
  const LeaseDecision decision = decideAt(observed, kStart);
  EXPECT_EQ(decision.verdict, LeaseVerdict::Create);
  EXPECT_EQ(decision.desired.holderIdentity, "me");
  EXPECT_EQ(decision.desired.leaseDurationSeconds, 15);
  EXPECT_EQ(decision.desired.acquireTime, "wall");
  EXPECT_EQ(decision.desired.renewTime, "wall");
  EXPECT_EQ(decision.desired.leaseTransitions, 0);
}

TEST(LeaderElection, ALeaseAnotherRenewsIsLeftAlone) {
  LeaseObservation observed;
  observed.observe(heldBy("other", "t0"), kStart);
  for (int i = 1; i <= 20; ++i) {
    // The holder renews every 2 s: the record changes, the observation time moves with it.
    const TimePoint now = kStart + seconds{2 * i};
    observed.observe(heldBy("other", "t" + std::to_string(i)), now);
    EXPECT_EQ(decideAt(observed, now).verdict, LeaseVerdict::HeldByOther) << i;
  }
}

TEST(LeaderElection, ALeaseNotRenewedForItsDurationIsTakenOver) {
  LeaseObservation observed;
  observed.observe(heldBy("other"), kStart);
  // The same record read again does not move the observation time.
  observed.observe(heldBy("other"), kStart + seconds{14});
  EXPECT_EQ(decideAt(observed, kStart + seconds{14}).verdict, LeaseVerdict::HeldByOther);
  observed.observe(heldBy("other"), kStart + seconds{15});
  const LeaseDecision decision = decideAt(observed, kStart + seconds{15});
  EXPECT_EQ(decision.verdict, LeaseVerdict::TakeOver);
  EXPECT_EQ(decision.desired.holderIdentity, "me");
  EXPECT_EQ(decision.desired.acquireTime, "wall");
  EXPECT_EQ(decision.desired.leaseTransitions, 3);
}

TEST(LeaderElection, ExpiryIsJudgedByThisCandidatesClockNotTheTimesInTheLease) {
  // A candidate that only just started sees a Lease whose renewTime is long past (another
  // machine's clock, or an old record): it still waits a whole duration from now.
  LeaseObservation observed;
  observed.observe(heldBy("other", "1999-01-01T00:00:00.000000Z"), kStart);
  EXPECT_EQ(decideAt(observed, kStart + seconds{1}).verdict, LeaseVerdict::HeldByOther);
  EXPECT_EQ(decideAt(observed, kStart + seconds{15}).verdict, LeaseVerdict::TakeOver);
}

TEST(LeaderElection, AReleasedLeaseIsTakenAtOnce) {
  LeaseObservation observed;
  observed.observe(releasedRecord(heldBy("other"), "t9"), kStart);
  const LeaseDecision decision = decideAt(observed, kStart);
  EXPECT_EQ(decision.verdict, LeaseVerdict::TakeOver);
  EXPECT_EQ(decision.desired.holderIdentity, "me");
}

TEST(LeaderElection, ReleasingKeepsTheTransitionsAndShortensTheDuration) {
  const LeaseRecord released = releasedRecord(heldBy("me"), "t9");
  EXPECT_EQ(released.holderIdentity, "");
  EXPECT_EQ(released.leaseDurationSeconds, 1);
  EXPECT_EQ(released.renewTime, "t9");
  EXPECT_EQ(released.leaseTransitions, 2);
}

TEST(LeaderElection, TheHolderRenewsKeepingItsAcquireTime) {
  LeaseObservation observed;
  observed.observe(heldBy("me"), kStart);
  const LeaseDecision decision = decideAt(observed, kStart + seconds{2});
  EXPECT_EQ(decision.verdict, LeaseVerdict::Renew);
  EXPECT_EQ(decision.desired.acquireTime, "t0");
  EXPECT_EQ(decision.desired.renewTime, "wall");
  EXPECT_EQ(decision.desired.leaseTransitions, 2);
}

TEST(LeaderElection, TheHoldersOwnDurationCounts) {
  LeaseObservation observed;
  LeaseRecord longer = heldBy("other");
  longer.leaseDurationSeconds = 60;
  observed.observe(longer, kStart);
  EXPECT_EQ(decideAt(observed, kStart + seconds{30}).verdict, LeaseVerdict::HeldByOther);
  EXPECT_EQ(decideAt(observed, kStart + seconds{60}).verdict, LeaseVerdict::TakeOver);
}

TEST(LeaderTerm, IsLostOnceTheRenewDeadlinePassesWithoutARenewal) {
  LeaderTerm term(kStart, seconds{10});
  EXPECT_FALSE(term.lost(kStart + seconds{9}));
  term.renewed(kStart + seconds{8});
  EXPECT_FALSE(term.lost(kStart + seconds{17}));
  EXPECT_TRUE(term.lost(kStart + seconds{18}));
}

}  // namespace
}  // namespace tenantshift::controller
