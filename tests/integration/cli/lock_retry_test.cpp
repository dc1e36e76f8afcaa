// An application transaction holding a table lock makes the schema phase's DDL time out and
// retry (visible in the CLI's log); once the lock is released the run succeeds.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "cli_harness.h"
#include "support/postgres_server.h"

namespace tenantshift::clitest {
namespace {

using tenantshift::testing::PostgresServer;

struct Blocker {
  std::string name;
  std::string sql;   // run in a transaction kept open while tenantshift starts
  bool blocksSteps;  // false: it already holds up the catalog read that precedes every step
};

// Three ways an application holds up tenantshift on users: an open transaction that wrote to it
// (ROW EXCLUSIVE) and an explicit EXCLUSIVE lock hold up the DDL steps; ACCESS EXCLUSIVE also
// holds up reading the catalog (pg_get_expr locks the table), which retries the same way.
class CliLockRetry : public ::testing::TestWithParam<Blocker> {};

TEST_P(CliLockRetry, DdlRetriesBehindALockThenSucceeds) {
  auto& server = PostgresServer::shared();
  const std::string url = server.createDatabase("cli_lock_retry");
  loadExample(url, "0.01");
  ScratchDir dir;
  ManifestOptions options;
  options.lockTimeout = "100ms";
  options.retries = 10000;  // keeps retrying for as long as the test holds the lock
  const std::string manifest = writeManifest(dir.path(), options).string();

  pqxx::connection blockerConnection(url);
  pqxx::work blocker(blockerConnection);
  blocker.exec(GetParam().sql);

  TenantshiftProcess run(url, {"run", "-f", manifest, "--until", "schema"});
  const bool retried = waitUntil(
      [&] {
        return run.standardError().find("step retrying") != std::string::npos ||
               run.poll().has_value();
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(retried) << "no retry logged while users was locked:\n"
                       << run.output() << "\ntenantshift sessions:\n"
                       << tenantshiftActivity(url);
  ASSERT_FALSE(run.poll().has_value()) << "the run ended while users was still locked:\n"
                                       << run.output();
  const std::string whileLocked = run.output();
  EXPECT_NE(whileLocked.find("lock timeout"), std::string::npos)
      << "the retry does not say that it waited for a lock:\n"
      << whileLocked;
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                     "'public' AND table_name = 'users' AND column_name = 'tenant_id'"),
            0)
      << "users changed although the test holds a lock on it";

  blocker.abort();
  ASSERT_EQ(run.wait(), 0) << run.output();
  EXPECT_NE(run.output().find("every step through phase schema is done"), std::string::npos)
      << run.output();
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM tenantshift.step WHERE phase = 'schema' "
                     "AND state <> 'done'"),
            0);
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM tenantshift.step WHERE phase <> 'schema' "
                     "AND state <> 'pending'"),
            0)
      << "--until schema ran steps of later phases";
  if (GetParam().blocksSteps) {
    EXPECT_GT(queryInt(url, "SELECT max(attempts) FROM tenantshift.step WHERE phase = 'schema'"),
              1);
  }
  EXPECT_EQ(queryInt(url,
                     "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                     "'public' AND table_name = 'users' AND column_name = 'tenant_id'"),
            1);
}

INSTANTIATE_TEST_SUITE_P(
    Blockers, CliLockRetry,
    ::testing::Values(Blocker{"OpenWriteTransaction",
                              "UPDATE public.users SET updated_at = updated_at WHERE id = 1", true},
                      Blocker{"ExclusiveLock", "LOCK TABLE public.users IN EXCLUSIVE MODE", true},
                      Blocker{"AccessExclusiveLock",
                              "LOCK TABLE public.users IN ACCESS EXCLUSIVE MODE", false}),
    [](const ::testing::TestParamInfo<Blocker>& param) { return param.param.name; });

}  // namespace
}  // namespace tenantshift::clitest
