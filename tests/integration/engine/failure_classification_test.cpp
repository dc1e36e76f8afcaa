// What libpqxx really throws for the errors the engine retries, on a real server.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "db/connection.h"
#include "db/failure.h"
#include "engine/ddl_retry.h"
#include "engine/execution.h"
#include "engine/run_observer.h"
#include "support/postgres_server.h"

namespace tenantshift::engine {
namespace {

TEST(FailureClassification, SerializationFailureFromTheServerIsRetried) {
  auto& server = testing::PostgresServer::shared();
  const std::string url = server.createDatabase("classify");
  server.psql(url, "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)");
  pqxx::connection reader(url);
  pqxx::connection writer(url);
  pqxx::work snapshot(reader);
  snapshot.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  snapshot.exec("SELECT v FROM t WHERE id = 1");
  {
    pqxx::work other(writer);
    other.exec0("UPDATE t SET v = 1 WHERE id = 1");
    other.commit();
  }
  try {
    snapshot.exec0("UPDATE t SET v = 2 WHERE id = 1");
    FAIL() << "expected a serialization failure";
  } catch (const pqxx::failure& error) {
    EXPECT_EQ(classifyFailure(error), FailureKind::Contention) << error.what();
  }
}

TEST(FailureClassification, LockTimeoutFromTheServerIsRetried) {
  auto& server = testing::PostgresServer::shared();
  const std::string url = server.createDatabase("classify_lock");
  server.psql(url, "CREATE TABLE t (id int PRIMARY KEY)");
  pqxx::connection holder(url);
  pqxx::connection waiter(url);
  pqxx::work hold(holder);
  hold.exec0("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
  pqxx::work wait(waiter);
  wait.exec0("SET LOCAL lock_timeout = '50ms'");
  try {
    wait.exec("SELECT * FROM t");
    FAIL() << "expected a lock timeout";
  } catch (const pqxx::failure& error) {
    EXPECT_EQ(classifyFailure(error), FailureKind::Contention) << error.what();
  }
}

// A statement bound with more parameters than it has: the server answers 08P01 (protocol
// violation, in the connection-exception class) and keeps the connection. It is tenantshift's
// own bug, and retrying sends the same message: the step fails at once, with the server's
// message, instead of retrying 30 times and reporting a lost connection.
TEST(FailureClassification, AProtocolViolationIsNotRetriedAsALostConnection) {
  auto& server = testing::PostgresServer::shared();
  const std::string url = server.createDatabase("classify_protocol");
  pqxx::connection connection(url);
  try {
    pqxx::work tx(connection);
    tx.exec_params("SELECT 1", 1, 2);
    FAIL() << "expected the server to refuse the parameters";
  } catch (const pqxx::broken_connection& error) {
    // What libpqxx 6 makes of it: a lost connection, without the SQLSTATE.
    EXPECT_NE(std::string(error.what()).find("bind message supplies 2 parameters"),
              std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(connection.is_open());

  plan::Step step;
  step.id = "schema/example";
  Session session([url] { return db::connect(url); });
  ExecutionSettings settings;
  settings.sleep = [](std::chrono::milliseconds) {};
  SilentObserver observer;
  int attempts = 0;
  try {
    runWithRetries(step, session, settings, observer, [&](pqxx::connection& c, int) {
      ++attempts;
      pqxx::work tx(c);
      tx.exec_params("SELECT 1", 1, 2);
    });
    FAIL() << "expected the step to fail";
  } catch (const pqxx::failure& error) {
    EXPECT_EQ(classifyFailure(error), FailureKind::Fatal) << error.what();
    EXPECT_EQ(db::sqlStateOf(error), "08P01");
    const std::string message = stepFailureMessage(step, error, settings);
    EXPECT_EQ(message.find("lost the connection"), std::string::npos) << message;
    EXPECT_NE(message.find("bind message supplies 2 parameters"), std::string::npos) << message;
  }
  EXPECT_EQ(attempts, 1);

  // A connection the server really closed (its backend terminated, mid-statement) is retried on
  // a new one.
  attempts = 0;
  runWithRetries(step, session, settings, observer, [&](pqxx::connection& c, int attempt) {
    ++attempts;
    pqxx::work tx(c);
    if (attempt == 1) {
      tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    }
    tx.exec("SELECT 1");
    tx.commit();
  });
  EXPECT_EQ(attempts, 2);
}

}  // namespace
}  // namespace tenantshift::engine
