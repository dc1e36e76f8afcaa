// A stop requested by a signal ends a run only at a safe point, with Outcome::Paused.
#include "engine/stop_request.h"

#include <gtest/gtest.h>

#include <csignal>

#include "engine/engine_error.h"
#include "engine/execution.h"

namespace tenantshift::engine {
namespace {

TEST(StopRequest, RemembersTheSignal) {
  StopRequest stop;
  EXPECT_FALSE(stop.requested());
  EXPECT_EQ(stop.signalName(), "");
  stop.request(SIGTERM);
  EXPECT_TRUE(stop.requested());
  EXPECT_EQ(stop.signalName(), "SIGTERM");
  stop.request(SIGINT);
  EXPECT_EQ(stop.signalName(), "SIGINT");
}

TEST(StopRequest, ACheckpointThrowsPausedOnlyOnceRequested) {
  StopRequest stop;
  ExecutionSettings settings;
  EXPECT_NO_THROW(settings.checkpoint("between steps"));
  settings.stop = &stop;
  EXPECT_NO_THROW(settings.checkpoint("between steps"));
  stop.request(SIGTERM);
  try {
    settings.checkpoint("between backfill batches of trades");
    FAIL() << "no stop at a checkpoint after SIGTERM";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.outcome(), Outcome::Paused);
    EXPECT_NE(std::string(error.what()).find("stopped by SIGTERM between backfill batches"),
              std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("run it again to resume"), std::string::npos)
        << error.what();
  }
}

TEST(StopRequest, APauseEndsEarlyOnceRequested) {
  StopRequest stop;
  stop.request(SIGTERM);
  ExecutionSettings settings;
  settings.stop = &stop;
  const auto start = std::chrono::steady_clock::now();
  settings.sleepFor(std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace tenantshift::engine
