#include "engine/flag_step_runner.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "db/failure.h"
#include "engine/engine_error.h"

namespace tenantshift::engine {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t millisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

flag::WaitControl waitControl(const ExecutionSettings& settings) {
  return {[] { return Clock::now(); },
          [&settings](std::chrono::milliseconds duration) { settings.sleepFor(duration); },
          [&settings](const std::string& where) { settings.checkpoint(where); }};
}

const std::string& valueOf(const plan::FlagSwitch& flag, bool on) {
  return std::visit([on](const auto& f) -> const std::string& { return on ? f.on : f.off; }, flag);
}

}  // namespace

void FlagStepRunner::runUp(const plan::Step& step) {
  const auto start = Clock::now();
  record(step,
         [&](pqxx::work& tx, int attempt) { ledger_.markRunning(tx, step.id, attempt == 1); });
  turn(step, true,
       "Enforcement has not run; fix this and run again (the step resumes: a flag that is on "
       "already is only waited for), or turn the flag off with `tenantshift rollback --scenario "
       "flag-off`");
  record(step, [&](pqxx::work& tx, int) { ledger_.markDone(tx, step.id, 0, millisSince(start)); });
}

void FlagStepRunner::runDown(const plan::Step& step) {
  const auto start = Clock::now();
  turn(step, false, "Fix this and run the rollback again");
  record(step, [&](pqxx::work& tx, int) { ledger_.markRolledBack(tx, step.id); });
  spdlog::info("step rolled back id={} ms={}", step.id, millisSince(start));
}

void FlagStepRunner::turn(const plan::Step& step, bool up, const std::string& whatNext) {
  if (!step.flagSwitch) {
    throw std::logic_error("FlagStepRunner given a step without a flag switch: " + step.id);
  }
  const auto start = Clock::now();
  try {
    const auto flagSwitch = switches_(*step.flagSwitch);
    flag::turnFlag(*flagSwitch, valueOf(*step.flagSwitch, up), waitControl(settings_));
  } catch (const EngineError&) {
    throw;  // stopped at the wait's checkpoint (Outcome::Paused): the step resumes
  } catch (const std::exception& error) {
    const std::string message =
        (up ? "step " : "undoing step ") + step.id + " failed: " + error.what() + ". " + whatNext;
    executor_.recordFailure(step, message, millisSince(start));
    throw EngineError(message);
  }
}

void FlagStepRunner::record(const plan::Step& step,
                            const std::function<void(pqxx::work&, int)>& write) {
  try {
    runWithRetries(step, session_, settings_, observer_,
                   [&](pqxx::connection& connection, int attempt) {
                     pqxx::work tx(connection);
                     write(tx, attempt);
                     tx.commit();
                   });
  } catch (const pqxx::failure& error) {
    throw EngineError(
        "could not record step " + step.id + " in the ledger: " + db::firstLine(error.what()),
        outcomeOfDatabaseFailure(error));
  }
}

}  // namespace tenantshift::engine
