#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "engine/ddl_retry.h"
#include "engine/run_observer.h"
#include "engine/stop_request.h"
#include "plan/step.h"

namespace tenantshift::engine {

using ConnectionFactory = std::function<std::unique_ptr<pqxx::connection>()>;
using Sleeper = std::function<void(std::chrono::milliseconds)>;
using UnitRandom = std::function<double()>;  // uniform in [0, 1)

// How steps run: the lock_timeout every statement gets, the retry policy, and the injected
// sleeping function and randomness (tests pass fakes so that they never wait).
struct ExecutionSettings {
  std::chrono::milliseconds lockTimeout{1000};
  // CREATE/DROP INDEX CONCURRENTLY wait for older transactions, which never blocks the
  // application: they may wait this long (plan::Statement::concurrentIndex).
  std::chrono::milliseconds indexBuildTimeout{std::chrono::hours(1)};
  // How long our statements wait on a lock before PostgreSQL checks for a deadlock: shorter than
  // the server's (1 s by default), so that when one of our statements and the application's
  // transactions deadlock, ours is the one aborted (and retried), never the application's. Needs a
  // superuser runner (deadlock_timeout is a superuser setting); otherwise the server's applies.
  std::chrono::milliseconds deadlockTimeout{100};
  RetryPolicy retry;
  std::chrono::milliseconds backfillPause{0};  // the minimum pause between backfill batches
  Sleeper sleep;                               // empty: std::this_thread::sleep_for
  UnitRandom random;  // empty: a std::mt19937_64 seeded from std::random_device
  // Asked to stop (SIGTERM): checked at the safe points (checkpoint); absent: never stops.
  const StopRequest* stop = nullptr;

  // Sleeps; without an injected `sleep`, wakes early when a stop is requested.
  void sleepFor(std::chrono::milliseconds duration) const;
  // A safe point to stop at: throws EngineError with Outcome::Paused, saying "stopped by
  // SIGTERM <where>", when a stop was requested. Call it only where everything done so far is
  // committed with its ledger entry.
  void checkpoint(const std::string& where) const;
  double unitRandom() const;
  // "1000ms": the value given to set_config('lock_timeout', ...).
  std::string lockTimeoutSetting() const;
};

// Sets lock_timeout (`lockTimeout`) and, when the session's user is a superuser,
// deadlock_timeout (settings.deadlockTimeout) for the transaction (`local`) or the session.
void applyLockLimits(pqxx::transaction_base& tx, const ExecutionSettings& settings,
                     std::chrono::milliseconds lockTimeout, bool local);

// The engine's working connection, replaced by a new one after it broke. A failure to
// reconnect is reported as pqxx::broken_connection, so the retry loop treats it like the
// connection loss that caused it.
class Session {
 public:
  explicit Session(ConnectionFactory factory) : factory_(std::move(factory)) {}
  pqxx::connection& connection();
  void reset() { connection_.reset(); }
  // Whether the session holds a connection that is still open.
  bool isOpen() const { return connection_ && connection_->is_open(); }
  // Opens another connection to the same database (for a watcher on the side).
  const ConnectionFactory& factory() const { return factory_; }

 private:
  ConnectionFactory factory_;
  std::unique_ptr<pqxx::connection> connection_;
};

// Runs `attempt` on the session's connection, retrying (with backoff, telling the observer) on
// lock timeouts, deadlocks, serialization failures, lost connections and in-doubt commits, at
// most settings.retry.retries times. Each attempt must be idempotent: it must re-read what it
// needs (ledger state, cursor) inside its own transaction. `attempt` gets the attempt number
// (1-based). A database error that is not retryable, or the last one, is rethrown as is;
// anything that is not a pqxx::failure (a bug, an observer that aborts) propagates at once.
void runWithRetries(const plan::Step& step, Session& session, const ExecutionSettings& settings,
                    RunObserver& observer,
                    const std::function<void(pqxx::connection&, int attempt)>& attempt);

// The message of a step that failed: step id, the PostgreSQL error, and what to do about it
// (the step's failureHint when the cause is in the data).
std::string stepFailureMessage(const plan::Step& step, const std::exception& error,
                               const ExecutionSettings& settings);

// Runs one statement inside `tx` with its parameters bound; returns the rows affected.
pqxx::result execStatement(pqxx::transaction_base& tx, const plan::Statement& statement);

}  // namespace tenantshift::engine
