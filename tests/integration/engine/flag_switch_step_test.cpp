// The flag step of a flag outside the database, run by the engine on a real PostgreSQL with a
// switch faked at its seam (flag::FeatureFlagSwitch; tests/e2e/operator/feature_flag_test.cpp
// turns real ConfigMaps and Deployments): the flag is on and its effect awaited before
// enforcement; a failed or stopped wait leaves enforcement undone and resumes without setting
// the flag twice; rollback flag-off relaxes enforcement, then turns the flag off.
#include <gtest/gtest.h>

#include <csignal>

#include "api/spec_parser.h"
#include "db/connection.h"
#include "engine/engine.h"
#include "engine/stop_request.h"
#include "engine_fixture.h"
#include "flag/flag_switch_error.h"
#include "plan/sql_identifier.h"

namespace tenantshift::engine {
namespace {

using tenantshift::testing::PostgresServer;

// The flag as the fake switch keeps it, and what the engine asked of it.
struct FlagState {
  std::string value = "false";
  int sets = 0;
  std::vector<std::string> awaited;  // the value the flag held at each awaitEffect
  // Runs in awaitEffect (before it returns): what the test checks or does there.
  std::function<void(const flag::WaitControl&)> duringWait;
};

class FakeSwitch final : public flag::FeatureFlagSwitch {
 public:
  explicit FakeSwitch(FlagState& state) : state_(state) {}
  std::string describe() const override { return "Deployment shop/api container api env FLAG"; }
  bool holds(const std::string& value) override { return state_.value == value; }
  void set(const std::string& value) override {
    state_.value = value;
    ++state_.sets;
  }
  void awaitEffect(const flag::WaitControl& wait) override {
    state_.awaited.push_back(state_.value);
    if (state_.duringWait) {
      state_.duringWait(wait);
    }
  }

 private:
  FlagState& state_;
};

class FlagSwitchStep : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().createDatabase("flagswitch");
    role_ = "flag_app_" + url_.substr(url_.rfind('/') + 1);
    const std::string role = plan::quoteIdent(role_);
    PostgresServer::shared().psql(
        url_, "CREATE ROLE " + role +
                  " LOGIN;"
                  "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);"
                  "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20) g;"
                  "GRANT USAGE ON SCHEMA public TO " +
                  role + "; GRANT SELECT, INSERT, UPDATE, DELETE ON users TO " + role + ";");
    migration_ = api::parseTenantMigration(
        "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nmetadata: {name: flags}\n"
        "spec:\n  database: {appRole: " +
        role_ +
        "}\n  backfill: {batchSize: 100}\n"
        "  featureFlag:\n    deployment: {name: api, container: api, env: FLAG, \"on\": \"true\", "
        "\"off\": \"false\", rolloutTimeout: 1m}\n");
  }

  Engine engine(RunObserver& observer) {
    return Engine(url_, migration_, observer,
                  [this](const plan::FlagSwitch&) { return std::make_unique<FakeSwitch>(flag_); });
  }

  // Rows of users the application's role sees without a tenant: 20 before enforcement, 0 after.
  int appRowsWithoutTenant() {
    auto connection = db::connect(url_);
    pqxx::work tx(*connection);
    tx.exec("SET LOCAL ROLE " + plan::quoteIdent(role_));
    return tx.exec1("SELECT count(*) FROM public.users")[0].as<int>();
  }

  std::map<std::string, StepState> states() {
    std::map<std::string, StepState> out;
    testing::RecordingObserver observer;
    for (const StepStatus& step : engine(observer).status().steps) {
      out[step.id] = step.state;
    }
    return out;
  }

  std::string url_;
  std::string role_;
  api::TenantMigration migration_;
  FlagState flag_;
};

TEST_F(FlagSwitchStep, TheFlagIsOnAndItsEffectAwaitedBeforeEnforcement) {
  int rowsWhileWaiting = -1;
  StepState enforceWhileWaiting = StepState::Done;
  flag_.duringWait = [&](const flag::WaitControl&) {
    rowsWhileWaiting = appRowsWithoutTenant();
    enforceWhileWaiting = states().at("flag/enforce");
  };
  testing::RecordingObserver observer;
  const RunResult result = engine(observer).run({});
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(flag_.value, "true");
  EXPECT_EQ(flag_.sets, 1);
  EXPECT_EQ(flag_.awaited, std::vector<std::string>{"true"});
  EXPECT_EQ(rowsWhileWaiting, 20) << "enforced before the flag's effect";
  EXPECT_EQ(enforceWhileWaiting, StepState::Pending);
  EXPECT_EQ(states().at("flag/on"), StepState::Done);
  EXPECT_EQ(appRowsWithoutTenant(), 0);

  // flag-off: enforcement relaxed first, then the flag off and its effect awaited.
  flag_.duringWait = [&](const flag::WaitControl&) { rowsWhileWaiting = appRowsWithoutTenant(); };
  const RollbackResult undone = engine(observer).rollback(RollbackScenario::FlagOff, false);
  EXPECT_EQ(flag_.value, "false");
  EXPECT_EQ(flag_.sets, 2);
  EXPECT_EQ(flag_.awaited, (std::vector<std::string>{"true", "false"}));
  EXPECT_EQ(rowsWhileWaiting, 20);
  EXPECT_EQ(states().at("flag/on"), StepState::RolledBack);
  EXPECT_LT(std::find(undone.undoneSteps.begin(), undone.undoneSteps.end(), "flag/enforce"),
            std::find(undone.undoneSteps.begin(), undone.undoneSteps.end(), "flag/on"));
}

TEST_F(FlagSwitchStep, AFailedWaitLeavesEnforcementUndoneAndResumesWithoutSettingAgain) {
  flag_.duringWait = [](const flag::WaitControl&) {
    throw flag::FlagSwitchError("the rollout of Deployment shop/api is not complete after 1m");
  };
  testing::RecordingObserver observer;
  try {
    engine(observer).run({});
    FAIL() << "the run went on";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.outcome(), Outcome::Failed);
    const std::string message = error.what();
    EXPECT_NE(message.find("step flag/on failed: the rollout of Deployment shop/api is not "
                           "complete after 1m. Enforcement has not run"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("tenantshift rollback --scenario flag-off"), std::string::npos);
  }
  EXPECT_EQ(states().at("flag/on"), StepState::Failed);
  EXPECT_EQ(states().at("flag/enforce"), StepState::Pending);
  EXPECT_EQ(appRowsWithoutTenant(), 20);
  EXPECT_EQ(flag_.value, "true");

  flag_.duringWait = nullptr;
  engine(observer).run({});
  EXPECT_EQ(flag_.sets, 1) << "the flag was on already: only its effect is awaited";
  EXPECT_EQ(flag_.awaited, (std::vector<std::string>{"true", "true"}));
  EXPECT_EQ(states().at("flag/on"), StepState::Done);
  EXPECT_EQ(appRowsWithoutTenant(), 0);
}

TEST_F(FlagSwitchStep, AStopWhileWaitingPausesTheStepToResume) {
  StopRequest stop;
  flag_.duringWait = [&](const flag::WaitControl& wait) {
    stop.request(SIGTERM);
    wait.checkpoint("while waiting for the rollout of Deployment shop/api");
  };
  testing::RecordingObserver observer;
  RunOptions options;
  options.stop = &stop;
  try {
    engine(observer).run(options);
    FAIL() << "the run went on";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.outcome(), Outcome::Paused);
    EXPECT_NE(std::string(error.what()).find("while waiting for the rollout"), std::string::npos);
  }
  EXPECT_EQ(states().at("flag/on"), StepState::Pending);
  EXPECT_EQ(appRowsWithoutTenant(), 20);

  flag_.duringWait = nullptr;
  engine(observer).run({});
  EXPECT_EQ(flag_.sets, 1);
  EXPECT_EQ(states().at("flag/enforce"), StepState::Done);
}

}  // namespace
}  // namespace tenantshift::engine
