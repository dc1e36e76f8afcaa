#include "engine/execution.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <thread>

#include "engine/engine_error.h"

namespace tenantshift::engine {

void ExecutionSettings::sleepFor(std::chrono::milliseconds duration) const {
  if (duration.count() <= 0) {
    return;
  }
  if (sleep) {
    sleep(duration);
    return;
  }
  // In slices, so that a stop request is not kept waiting by a long pause (a signal does not
  // end std::this_thread::sleep_for).
  constexpr std::chrono::milliseconds kSlice{50};
  const auto until = std::chrono::steady_clock::now() + duration;
  for (auto now = std::chrono::steady_clock::now(); now < until;
       now = std::chrono::steady_clock::now()) {
    if (stop != nullptr && stop->requested()) {
      return;
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kSlice, until - now));
  }
}

void ExecutionSettings::checkpoint(const std::string& where) const {
  if (stop == nullptr || !stop->requested()) {
    return;
  }
  spdlog::info("stopping {} (asked by {})", where, stop->signalName());
  throw EngineError("stopped by " + stop->signalName() + " " + where +
                        "; run it again to resume where it stopped",
                    Outcome::Paused);
}

double ExecutionSettings::unitRandom() const {
  if (random) {
    return random();
  }
  static std::mutex mutex;  // guards generator
  static std::mt19937_64 generator{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

std::string ExecutionSettings::lockTimeoutSetting() const {
  return std::to_string(lockTimeout.count()) + "ms";
}

void applyLockLimits(pqxx::transaction_base& tx, const ExecutionSettings& settings,
                     std::chrono::milliseconds lockTimeout, bool local) {
  const std::string scope = local ? "true" : "false";
  tx.exec_params("SELECT set_config('lock_timeout', $1, $2::boolean)",
                 std::to_string(lockTimeout.count()) + "ms", scope);
  tx.exec_params(
      "SELECT set_config('deadlock_timeout', $1, $2::boolean) FROM pg_catalog.pg_roles "
      "WHERE rolname = current_user AND rolsuper",
      std::to_string(settings.deadlockTimeout.count()) + "ms", scope);
}

pqxx::connection& Session::connection() {
  if (connection_ && !connection_->is_open()) {
    connection_.reset();
  }
  if (!connection_) {
    try {
      connection_ = factory_();
    } catch (const pqxx::failure&) {
      throw;
    } catch (const std::exception& error) {
      // db::connect's message names the redacted URL only.
      throw pqxx::broken_connection(error.what());
    }
  }
  return *connection_;
}

void runWithRetries(const plan::Step& step, Session& session, const ExecutionSettings& settings,
                    RunObserver& observer,
                    const std::function<void(pqxx::connection&, int attempt)>& attempt) {
  for (int number = 1;; ++number) {
    try {
      attempt(session.connection(), number);
      return;
    } catch (const pqxx::failure& error) {
      const FailureKind kind = classifyFailure(error);
      if (kind == FailureKind::ConnectionLost && session.isOpen() &&
          dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
        // libpqxx 6 reports every SQLSTATE of class 08 as broken_connection, without the code.
        // On a connection that is still open, that is the server refusing a message tenantshift
        // sent (08P01, a statement bound with the wrong number of parameters): sending it again
        // gets the same answer.
        throw pqxx::sql_error(error.what(), "", "08P01");
      }
      if (kind == FailureKind::ConnectionLost || kind == FailureKind::InDoubt) {
        session.reset();
      }
      if (kind == FailureKind::Fatal || number > settings.retry.retries) {
        throw;
      }
      const auto wait = settings.retry.delayBefore(number, settings.unitRandom());
      const std::string message = firstLine(error.what());
      spdlog::debug("step retrying id={} attempt={} wait_ms={} error={}", step.id, number + 1,
                    wait.count(), message);
      observer.stepRetrying(step, number + 1, message, wait);
      settings.sleepFor(wait);
    }
  }
}

std::string stepFailureMessage(const plan::Step& step, const std::exception& error,
                               const ExecutionSettings& settings) {
  const std::string pgError = firstLine(error.what());
  std::string advice;
  switch (classifyFailure(error)) {
    case FailureKind::Contention:
      advice =
          "gave up after " + std::to_string(settings.retry.retries) +
          " retries: other sessions keep locks on " +
          (step.table.empty() ? std::string("the objects it changes") : "table " + step.table) +
          " longer than lockTimeout (" + settings.lockTimeoutSetting() +
          "); find them in pg_stat_activity / pg_locks, or raise spec.ddl.retries or "
          "spec.ddl.lockTimeout, then run again (it resumes at this step)";
      break;
    case FailureKind::ConnectionLost:
    case FailureKind::InDoubt:
      advice = "lost the connection to the database " + std::to_string(settings.retry.retries) +
               " times; check that the server is reachable, then run again (it resumes at this "
               "step)";
      break;
    case FailureKind::Fatal:
      advice = step.failureHint.empty()
                   ? "fix the cause in the database or the spec, then run again (the step is "
                     "idempotent and resumes), or roll back"
                   : step.failureHint;
      break;
  }
  const std::string state = sqlStateOf(error);
  return "step " + step.id + " failed: " + pgError +
         (state.empty() ? "" : " (SQLSTATE " + state + ")") + "; " + advice;
}

pqxx::result execStatement(pqxx::transaction_base& tx, const plan::Statement& statement) {
  if (statement.params.empty()) {
    return tx.exec(statement.sql);
  }
  return tx.exec_params(statement.sql, pqxx::prepare::make_dynamic_params(statement.params));
}

}  // namespace tenantshift::engine
