#pragma once

#include "engine/execution.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "engine/step_executor.h"
#include "flag/kubernetes_flag_switches.h"
#include "plan/step.h"

namespace tenantshift::engine {

// Runs FlagSwitch steps (the feature flag in a ConfigMap or a Deployment's env) and records
// each in the ledger: up marks the step running, turns the flag on (set unless it is on
// already, then a Deployment's rollout awaited: flag::turnFlag) and marks it done; down turns it
// off the same way and marks it rolled back. Killed or stopped half-way, running it again
// finds the value set and only waits. A failure is recorded (state failed, error) and thrown as
// EngineError saying what to do; a stop request while waiting is thrown as EngineError with
// Outcome::Paused, the step left to resume.
class FlagStepRunner {
 public:
  FlagStepRunner(Session& session, const Ledger& ledger, const ExecutionSettings& settings,
                 RunObserver& observer, StepExecutor& executor,
                 const flag::FlagSwitchFactory& switches)
      : session_(session),
        ledger_(ledger),
        settings_(settings),
        observer_(observer),
        executor_(executor),
        switches_(switches) {}

  void runUp(const plan::Step& step);
  void runDown(const plan::Step& step);

 private:
  // Turns the step's flag to `on` (up) or `off` (down); a failure is recorded and thrown with
  // `whatNext` appended.
  void turn(const plan::Step& step, bool up, const std::string& whatNext);
  // Writes to the ledger in a transaction of its own, retried like a step's.
  void record(const plan::Step& step, const std::function<void(pqxx::work&, int)>& write);

  Session& session_;
  const Ledger& ledger_;
  const ExecutionSettings& settings_;
  RunObserver& observer_;
  StepExecutor& executor_;
  const flag::FlagSwitchFactory& switches_;
};

}  // namespace tenantshift::engine
