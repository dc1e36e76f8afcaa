#include "engine/outcome.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_error.h"
#include "engine/verify_failed_error.h"

namespace tenantshift::engine {
namespace {

// The spelling and the exit status are a contract: the operator reads both from a Job's
// termination message and decides what to do next from them.
TEST(Outcome, NamesAndExitCodesAreTheContract) {
  const std::vector<std::pair<Outcome, std::string>> expected = {
      {Outcome::Completed, "completed"},
      {Outcome::Failed, "failed"},
      {Outcome::InvalidInput, "invalid-input"},
      {Outcome::Paused, "paused"},
      {Outcome::LockHeld, "lock-held"},
      {Outcome::PrerequisitesMissing, "prerequisites-missing"},
      {Outcome::PlanDrift, "plan-drift"},
      {Outcome::VerifyFailed, "verify-failed"},
      {Outcome::DataLossRefused, "data-loss-refused"},
      {Outcome::DatabaseUnreachable, "database-unreachable"}};
  for (std::size_t code = 0; code < expected.size(); ++code) {
    const auto& [outcome, name] = expected[code];
    EXPECT_EQ(toString(outcome), name);
    EXPECT_EQ(exitCode(outcome), static_cast<int>(code)) << name;
    EXPECT_EQ(outcomeFromString(name), outcome) << name;
  }
  EXPECT_EQ(outcomeFromString("Completed"), std::nullopt);
  EXPECT_EQ(outcomeFromString(""), std::nullopt);
}

TEST(Outcome, OfAnErrorIsItsOwnOrWhatTheDatabaseFailureMeans) {
  EXPECT_EQ(outcomeOf(EngineError("held", Outcome::LockHeld)), Outcome::LockHeld);
  EXPECT_EQ(outcomeOf(EngineError("a step failed")), Outcome::Failed);
  EXPECT_EQ(outcomeOf(VerifyFailedError("isolation not proven", {})), Outcome::VerifyFailed);
  EXPECT_EQ(outcomeOf(pqxx::broken_connection("cannot connect to postgresql://h/db")),
            Outcome::DatabaseUnreachable);
  EXPECT_EQ(outcomeOf(pqxx::in_doubt_error("commit in doubt")), Outcome::DatabaseUnreachable);
  EXPECT_EQ(outcomeOf(std::runtime_error("anything else")), Outcome::Failed);
  EXPECT_EQ(outcomeOfDatabaseFailure(pqxx::sql_error("syntax error", "SELEC", "42601")),
            Outcome::Failed);
  EXPECT_EQ(outcomeOfDatabaseFailure(pqxx::sql_error("terminating connection", "", "57P01")),
            Outcome::DatabaseUnreachable);
}

}  // namespace
}  // namespace tenantshift::engine
