#include "engine/step_state.h"

#include <gtest/gtest.h>

namespace tenantshift::engine {
namespace {

// The ledger keeps the state as text (and its CHECK constraint allows exactly these).
TEST(StepState, RoundTripsThroughTheLedgersText) {
  const std::vector<std::pair<StepState, std::string>> expected = {
      {StepState::Pending, "pending"},
      {StepState::Running, "running"},
      {StepState::Done, "done"},
      {StepState::Failed, "failed"},
      {StepState::RolledBack, "rolled_back"}};
  for (const auto& [state, text] : expected) {
    EXPECT_EQ(toString(state), text);
    EXPECT_EQ(stepStateFromString(text), state) << text;
  }
  EXPECT_EQ(stepStateFromString("rolled-back"), std::nullopt);
  EXPECT_EQ(stepStateFromString("Done"), std::nullopt);
}

TEST(StepState, DoneFailedAndRunningMayHaveTakenEffect) {
  EXPECT_TRUE(mayHaveTakenEffect(StepState::Done));
  EXPECT_TRUE(mayHaveTakenEffect(StepState::Failed));
  EXPECT_TRUE(mayHaveTakenEffect(StepState::Running));
  EXPECT_FALSE(mayHaveTakenEffect(StepState::Pending));
  EXPECT_FALSE(mayHaveTakenEffect(StepState::RolledBack));
}

}  // namespace
}  // namespace tenantshift::engine
