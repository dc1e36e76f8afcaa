// The controller's work queue: each key once, one worker per key, failures back after a backoff.
#include "controller/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace tenantshift::controller {
namespace {

using std::chrono::milliseconds;

WorkQueue::Limits fastLimits() {
  WorkQueue::Limits limits;
  limits.baseDelay = milliseconds(1);
  limits.maxDelay = milliseconds(8);
  return limits;
}

TEST(WorkQueue, AKeyAddedTwiceIsReconciledOnce) {
  WorkQueue queue;
  queue.add("apps/shop");
  queue.add("apps/shop");
  queue.add("apps/billing");
  EXPECT_EQ(queue.size(), 2U);
  std::stop_source stop;
  EXPECT_EQ(queue.get(stop.get_token()), "apps/shop");
  EXPECT_EQ(queue.get(stop.get_token()), "apps/billing");
  EXPECT_EQ(queue.size(), 0U);
}

TEST(WorkQueue, AKeyBeingReconciledGoesToNoOtherWorkerAndComesBackWhenDone) {
  WorkQueue queue;
  std::stop_source stop;
  queue.add("apps/shop");
  ASSERT_EQ(queue.get(stop.get_token()), "apps/shop");
  queue.add("apps/shop");  // changed while a worker has it
  EXPECT_EQ(queue.size(), 0U) << "must wait for the worker";
  queue.add("apps/billing");
  EXPECT_EQ(queue.get(stop.get_token()), "apps/billing");
  queue.done("apps/shop");
  EXPECT_EQ(queue.get(stop.get_token()), "apps/shop");
}

TEST(WorkQueue, FailuresBackOffPerKeyUntilForgotten) {
  WorkQueue queue(fastLimits());
  std::stop_source stop;
  queue.addRateLimited("apps/shop");
  queue.addRateLimited("apps/shop");
  EXPECT_EQ(queue.failures("apps/shop"), 2);
  EXPECT_EQ(queue.failures("apps/billing"), 0);
  EXPECT_EQ(queue.get(stop.get_token()), "apps/shop");  // once its delay passed
  queue.done("apps/shop");
  queue.forget("apps/shop");
  EXPECT_EQ(queue.failures("apps/shop"), 0);
}

TEST(WorkQueue, ADelayedKeyAddedNowIsReadyNowAndQueuedOnce) {
  WorkQueue queue;
  std::stop_source stop;
  queue.addAfter("apps/shop", std::chrono::minutes(5));
  queue.add("apps/shop");
  EXPECT_EQ(queue.get(stop.get_token()), "apps/shop");
  queue.done("apps/shop");
}

TEST(WorkQueue, ADelayedKeyWakesAWaitingWorker) {
  WorkQueue queue;
  std::stop_source stop;
  std::optional<std::string> got;
  std::thread worker([&] { got = queue.get(stop.get_token()); });
  queue.addAfter("apps/shop", milliseconds(2));
  worker.join();
  EXPECT_EQ(got, "apps/shop");
}

TEST(WorkQueue, IsIdleOnlyWhenNothingIsReadyAndNoKeyIsBeingReconciled) {
  WorkQueue queue;
  std::stop_source stop;
  EXPECT_TRUE(queue.idle());
  queue.add("apps/shop");
  queue.add("apps/billing");
  EXPECT_FALSE(queue.idle()) << "keys ready";
  ASSERT_EQ(queue.get(stop.get_token()), "apps/shop");
  ASSERT_EQ(queue.get(stop.get_token()), "apps/billing");
  queue.done("apps/shop");
  EXPECT_FALSE(queue.idle()) << "apps/billing is being reconciled";
  queue.add("apps/billing");  // changed meanwhile: back in the queue once done
  queue.done("apps/billing");
  EXPECT_FALSE(queue.idle()) << "apps/billing is ready again";
  ASSERT_EQ(queue.get(stop.get_token()), "apps/billing");
  queue.addAfter("apps/shop", std::chrono::minutes(1));
  queue.done("apps/billing");
  EXPECT_TRUE(queue.idle()) << "a key waiting out a delay is not work now";
}

TEST(WorkQueue, ShutdownAndStopReleaseWaitingWorkers) {
  WorkQueue queue;
  std::stop_source stop;
  std::optional<std::string> first = "unset";
  std::thread waiting([&] { first = queue.get(stop.get_token()); });
  stop.request_stop();
  waiting.join();
  EXPECT_FALSE(first.has_value());

  WorkQueue other;
  std::stop_source running;
  std::optional<std::string> second = "unset";
  std::thread worker([&] { second = other.get(running.get_token()); });
  other.shutdown();
  worker.join();
  EXPECT_FALSE(second.has_value());
  other.add("apps/shop");
  EXPECT_EQ(other.size(), 0U) << "a queue that was shut down takes nothing";
}

}  // namespace
}  // namespace tenantshift::controller
