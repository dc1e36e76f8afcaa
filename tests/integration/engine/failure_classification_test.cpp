// What libpqxx really throws for the errors the engine retries, on a real server.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "engine/ddl_retry.h"
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

}  // namespace
}  // namespace tenantshift::engine
