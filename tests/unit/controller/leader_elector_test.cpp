// Leader election against a Lease in a fake API server, on a fake clock: one holder at a time,
// takeover only after the lease duration, a lost race is no leadership, and a leader that
// cannot renew stops before anyone may take over.
#include "controller/leader_elector.h"

#include <gtest/gtest.h>

#include "controller_fakes.h"
#include "kube/kube_error.h"
#include "kube/resource.h"
#include "unit/kube/fakes.h"

namespace tenantshift::controller {
namespace {

using kube::testing::FakeClock;
using kube::testing::FakeKubeClient;
using std::chrono::seconds;

nlohmann::json lease(const std::string& holder, const std::string& renewTime, int transitions = 0) {
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", {{"namespace", "ops"}, {"name", "tenantshift-operator"}}},
          {"spec",
           {{"holderIdentity", holder},
            {"leaseDurationSeconds", 15},
            {"acquireTime", "2026-12-02T10:00:00.000000Z"},
            {"renewTime", renewTime},
            {"leaseTransitions", transitions}}}};
}

class LeaderElectorTest : public ::testing::Test {
 protected:
  nlohmann::json stored() {
    return client.stored(kube::resources::leases(), "ops", "tenantshift-operator");
  }
  std::string holder() { return stored()["spec"].value("holderIdentity", "?"); }
  // Requests stop once `calls` requests of `verb` were made.
  void stopAfter(const std::string& verb, int calls) {
    client.beforeCall = [this, verb, calls, seen = 0](const std::string& v,
                                                      const kube::ResourceRef&) mutable {
      if (v == verb && ++seen >= calls) {
        stop.request_stop();
      }
    };
  }

  FakeClock clock;
  std::stop_source stopper;
  FakeKubeClient client{clock, stopper};
  testing::FakeWallClock wall{std::chrono::system_clock::from_time_t(1'796'000'000)};
  LeaseLock lock{client, "ops", "tenantshift-operator"};
  LeaderElector me{lock, clock, wall, "me"};
  std::stop_source stop;
};

TEST_F(LeaderElectorTest, CreatesTheLeaseWhenThereIsNone) {
  ASSERT_TRUE(me.acquire(stop.get_token()));
  EXPECT_EQ(holder(), "me");
  EXPECT_EQ(stored()["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(stored()["spec"]["renewTime"], "2026-11-30T00:53:20.000000Z");
  EXPECT_TRUE(clock.sleeps.empty()) << "acquired on the first try";
}

TEST_F(LeaderElectorTest, NeverWritesALeaseItsHolderKeepsRenewing) {
  client.put(lease("other", "r0"));
  int renewals = 0;
  client.beforeCall = [&](const std::string& verb, const kube::ResourceRef&) {
    if (verb == "get") {
      // The holder renews between our tries, as a live leader does every 2 s.
      client.put(lease("other", "r" + std::to_string(++renewals)));
      if (renewals == 30) {
        stop.request_stop();
      }
    }
  };
  EXPECT_FALSE(me.acquire(stop.get_token()));
  EXPECT_EQ(client.callsStartingWith("update"), 0);
  EXPECT_EQ(holder(), "other");
  EXPECT_GE(clock.sleeps.size(), 29U) << "a minute of tries";
}

TEST_F(LeaderElectorTest, TakesOverALeaseNotRenewedForTheLeaseDuration) {
  client.put(lease("gone", "2026-12-02T10:00:00.000000Z", 4));
  const auto start = clock.now();
  ASSERT_TRUE(me.acquire(stop.get_token()));
  const auto waited = clock.now() - start;
  EXPECT_GE(waited, seconds{15});
  EXPECT_LT(waited, seconds{15} + seconds{2});
  EXPECT_EQ(holder(), "me");
  EXPECT_EQ(stored()["spec"]["leaseTransitions"], 5);
}

TEST_F(LeaderElectorTest, ALostRaceIsNoLeadership) {
  client.put(lease("gone", "r0"));
  client.beforeUpdate = [&](int call) {
    if (call == 1) {
      // Another candidate saw it expire too, and wrote first.
      client.put(lease("other", "r1", 1));
    }
  };
  stopAfter("get", 10);  // "other" renews no more: stop before it could expire for us
  EXPECT_FALSE(me.acquire(stop.get_token()));
  EXPECT_EQ(holder(), "other");
  EXPECT_EQ(client.updateCalls, 1) << "the 409 is not retried blindly";
}

TEST_F(LeaderElectorTest, TheLeaderRenewsEveryRetryPeriodAndReleasesOnStop) {
  ASSERT_TRUE(me.acquire(stop.get_token()));
  int renewed = 0;
  client.beforeCall = [&](const std::string& verb, const kube::ResourceRef&) {
    if (verb == "update" && ++renewed == 5) {
      stop.request_stop();
    }
    wall.advance(seconds{2});
  };
  EXPECT_TRUE(me.lead(stop.get_token()));
  EXPECT_EQ(holder(), "me") << "held until the work has stopped";
  EXPECT_NE(stored()["spec"]["renewTime"], "2026-11-30T00:53:20.000000Z");
  for (const auto& sleep : clock.sleeps) {
    EXPECT_EQ(sleep, seconds{2});
  }
  me.release();
  EXPECT_EQ(holder(), "");
  EXPECT_EQ(stored()["spec"]["leaseDurationSeconds"], 1);

  // Released, another candidate takes it on its first try.
  LeaderElector other(lock, clock, wall, "other");
  const auto start = clock.now();
  client.beforeCall = nullptr;
  EXPECT_TRUE(other.acquire(std::stop_token{}));
  EXPECT_EQ(clock.now(), start);
  EXPECT_EQ(holder(), "other");
}

TEST_F(LeaderElectorTest, ALeaderThatCannotRenewStopsBeforeTheLeaseCouldExpire) {
  ASSERT_TRUE(me.acquire(stop.get_token()));
  const auto acquired = clock.now();
  client.beforeCall = [](const std::string& verb, const kube::ResourceRef& ref) {
    throw kube::KubeConnectionError(verb, ref.key(), "https://127.0.0.1:6443", "refused");
  };
  EXPECT_FALSE(me.lead(stop.get_token()));
  const auto led = clock.now() - acquired;
  EXPECT_GE(led, seconds{10});
  EXPECT_LT(led, seconds{15}) << "a candidate may take over after 15 s: the leader stops first";
}

TEST_F(LeaderElectorTest, ALeaderWhoseLeaseWasTakenStopsAtOnce) {
  ASSERT_TRUE(me.acquire(stop.get_token()));
  client.put(lease("other", "r9", 1));
  EXPECT_FALSE(me.lead(stop.get_token()));
  EXPECT_EQ(clock.sleeps.size(), 1U);
  me.release();
  EXPECT_EQ(holder(), "other") << "nothing to release: not ours";
}

}  // namespace
}  // namespace tenantshift::controller
