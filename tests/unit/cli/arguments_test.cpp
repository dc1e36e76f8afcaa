#include "cli/arguments.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "db/connection.h"

namespace tenantshift::cli {
namespace {

TEST(Arguments, ParsesRunWithEveryOption) {
  auto a = parseArguments({"run", "-f", "m.yaml", "--database-url", "postgresql://h/db",
                           "--until=backfill", "--log-level", "debug"});
  EXPECT_EQ(a.command, "run");
  EXPECT_EQ(a.manifestPath, "m.yaml");
  EXPECT_EQ(a.databaseUrl, "postgresql://h/db");
  EXPECT_EQ(a.until, "backfill");
  EXPECT_EQ(a.logLevel, "debug");
}

TEST(Arguments, RollbackNeedsAScenario) {
  EXPECT_THROW(parseArguments({"rollback", "-f", "m.yaml"}), UsageError);
  auto a = parseArguments({"rollback", "-f", "m.yaml", "--scenario", "full", "--allow-data-loss"});
  EXPECT_EQ(a.scenario, "full");
  EXPECT_TRUE(a.allowDataLoss);
}

TEST(Arguments, CommandsNeedAManifest) {
  for (const char* command : {"plan", "run", "verify", "status"}) {
    EXPECT_THROW(parseArguments({command}), UsageError) << command;
  }
}

TEST(Arguments, OptionsBelongToTheirCommand) {
  EXPECT_THROW(parseArguments({"plan", "-f", "m.yaml", "--until", "rls"}), UsageError);
  EXPECT_THROW(parseArguments({"run", "-f", "m.yaml", "--scenario", "full"}), UsageError);
  EXPECT_THROW(parseArguments({"run", "-f", "m.yaml", "--bogus"}), UsageError);
  EXPECT_THROW(parseArguments({"run", "-f"}), UsageError);
  EXPECT_THROW(parseArguments({"status", "-f", "m.yaml", "-o", "xml"}), UsageError);
  EXPECT_THROW(parseArguments({"migrate"}), UsageError);
}

TEST(Arguments, PhaseTakesThePhaseName) {
  auto a = parseArguments({"phase", "backfill", "-f", "/etc/tenantshift/migration.json",
                           "--termination-message-path", "/dev/termination-log"});
  EXPECT_EQ(a.command, "phase");
  EXPECT_EQ(a.phase, "backfill");
  EXPECT_EQ(a.manifestPath, "/etc/tenantshift/migration.json");
  EXPECT_EQ(a.terminationMessagePath, "/dev/termination-log");
  EXPECT_EQ(parseArguments({"phase", "-f", "m.yaml", "flag", "-o", "json"}).phase, "flag");
  EXPECT_THROW(parseArguments({"phase", "-f", "m.yaml"}), UsageError);
  EXPECT_THROW(parseArguments({"phase", "backfil", "-f", "m.yaml"}), UsageError);
  EXPECT_THROW(parseArguments({"phase", "schema", "rls", "-f", "m.yaml"}), UsageError);
  EXPECT_THROW(parseArguments({"phase", "schema", "-f", "m.yaml", "--until", "rls"}), UsageError);
  EXPECT_THROW(parseArguments({"phase", "schema"}), UsageError);
}

TEST(Arguments, PhaseAndRunTakeTheExpectedPlanHash) {
  EXPECT_EQ(
      parseArguments({"phase", "schema", "-f", "m.json", "--expect-plan-hash", "0123456789abcdef"})
          .expectPlanHash,
      "0123456789abcdef");
  EXPECT_EQ(
      parseArguments({"run", "-f", "m.yaml", "--expect-plan-hash=fedcba9876543210"}).expectPlanHash,
      "fedcba9876543210");
  EXPECT_EQ(parseArguments({"phase", "schema", "-f", "m.json"}).expectPlanHash, std::nullopt);
  EXPECT_THROW(parseArguments({"phase", "schema", "-f", "m.json", "--expect-plan-hash", ""}),
               UsageError);
  EXPECT_THROW(parseArguments({"verify", "-f", "m.yaml", "--expect-plan-hash", "0123"}),
               UsageError);
}

TEST(Arguments, TheTerminationMessagePathIsFoundEvenInABadCommandLine) {
  EXPECT_EQ(terminationMessagePathIn({"phase", "bogus", "--termination-message-path", "/t"}), "/t");
  EXPECT_EQ(terminationMessagePathIn({"run", "--termination-message-path=/t2", "--bogus"}), "/t2");
  EXPECT_EQ(terminationMessagePathIn({"run", "-f", "m.yaml"}), std::nullopt);
  EXPECT_EQ(parseArguments({"run", "-f", "m.yaml", "--termination-message-path=/t"})
                .terminationMessagePath,
            "/t");
}

TEST(Arguments, HelpAndVersion) {
  EXPECT_EQ(parseArguments({}).command, "help");
  EXPECT_EQ(parseArguments({"--version"}).command, "version");
  auto help = parseArguments({"run", "--help"});
  EXPECT_EQ(help.command, "run");
  EXPECT_TRUE(help.help);
  auto helpFor = parseArguments({"help", "rollback"});
  EXPECT_EQ(helpFor.command, "rollback");
  EXPECT_TRUE(helpFor.help);
}

TEST(Arguments, DatabaseUrlComesFromTheEnvironmentWhenNotGiven) {
  ::unsetenv("DATABASE_URL");
  ::unsetenv("TENANTSHIFT_DATABASE_URL");
  auto a = parseArguments({"plan", "-f", "m.yaml"});
  EXPECT_THROW(resolveDatabaseUrl(a), UsageError);
  ::setenv("DATABASE_URL", "postgresql://fallback/db", 1);
  EXPECT_EQ(resolveDatabaseUrl(a), "postgresql://fallback/db");
  ::setenv("TENANTSHIFT_DATABASE_URL", "postgresql://preferred/db", 1);
  EXPECT_EQ(resolveDatabaseUrl(a), "postgresql://preferred/db");
  a.databaseUrl = "postgresql://flag/db";
  EXPECT_EQ(resolveDatabaseUrl(a), "postgresql://flag/db");
  ::unsetenv("DATABASE_URL");
  ::unsetenv("TENANTSHIFT_DATABASE_URL");
}

TEST(RedactUrl, HidesPasswordsInEveryForm) {
  EXPECT_EQ(db::redactUrl("postgresql://app:s3cret@db:5432/x"), "postgresql://app:***@db:5432/x");
  EXPECT_EQ(db::redactUrl("postgres://app:p%40ss@db/x?sslmode=require"),
            "postgres://app:***@db/x?sslmode=require");
  EXPECT_EQ(db::redactUrl("postgresql://db/x?user=app&password=s3cret&sslmode=require"),
            "postgresql://db/x?user=app&password=***&sslmode=require");
  EXPECT_EQ(db::redactUrl("host=db user=app password=s3cret dbname=x"),
            "host=db user=app password=*** dbname=x");
  EXPECT_EQ(db::redactUrl("postgresql://app@db/x"), "postgresql://app@db/x");
}

}  // namespace
}  // namespace tenantshift::cli
