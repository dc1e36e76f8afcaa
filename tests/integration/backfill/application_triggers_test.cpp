// The backfill's updates and the application's own row triggers: as replica (a superuser
// runner) they fire only when marked ENABLE ALWAYS; as a role that may not set
// session_replication_role they fire as before, and the runner says so once.

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "backfill_fixture.h"
#include "engine/backfill_runner.h"
#include "engine/execution.h"

namespace tenantshift::engine {
namespace {

// accounts: a BEFORE UPDATE trigger that stamps last_update (it would change application data),
// an AFTER UPDATE audit trigger (one audit row per update), and an ENABLE ALWAYS trigger.
constexpr const char* kSchema = R"sql(
CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL,
                       last_update timestamptz NOT NULL);
CREATE TABLE account_audit (account_id bigint NOT NULL);
CREATE TABLE always_log (account_id bigint NOT NULL);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.last_update := now(); RETURN NEW; END $$;
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO account_audit VALUES (NEW.id); RETURN NULL; END $$;
CREATE FUNCTION log_always() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO always_log VALUES (NEW.id); RETURN NULL; END $$;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION audit();
CREATE TRIGGER accounts_always AFTER UPDATE ON accounts FOR EACH ROW
  EXECUTE FUNCTION log_always();
ALTER TABLE accounts ENABLE ALWAYS TRIGGER accounts_always;
INSERT INTO accounts SELECT g, 'account ' || g, timestamptz '2020-01-01 00:00:00+00'
  FROM generate_series(1, 500) g;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO APP_ROLE;
)sql";

constexpr const char* kSpec = R"(  tables:
    - name: accounts
  exclude: [account_audit, always_log]
  backfill: {batchSize: 64, throttle: {enabled: false}}
)";

// Everything of accounts but the tenant column, as one fingerprint.
constexpr const char* kApplicationData =
    "SELECT md5(string_agg(id || '|' || name || '|' || last_update::text, ',' ORDER BY id)) "
    "FROM accounts";

TEST(BackfillTriggers, AsReplicaTheApplicationsTriggersDoNotFireAndItsDataStaysTheSame) {
  testing::ConvertedDatabase database("trig_replica", kSchema, kSpec);
  const std::string before = database.scalar(kApplicationData);
  SilentObserver silent;
  Engine engine(database.url, database.migration, silent);
  RunOptions options;
  options.until = plan::Phase::Backfill;
  engine.run(options);

  EXPECT_EQ(database.scalar("SELECT count(*) FROM accounts WHERE tenant_id IS NULL"), "0");
  EXPECT_EQ(database.scalar(kApplicationData), before);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM accounts WHERE last_update <> "
                            "timestamptz '2020-01-01 00:00:00+00'"),
            "0");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM account_audit"), "0");
  // ENABLE ALWAYS triggers fire in every mode: once per backfilled row.
  EXPECT_EQ(database.scalar("SELECT count(*) FROM always_log"), "500");
  EXPECT_EQ(database.scalar("SELECT count(DISTINCT account_id) FROM always_log"), "500");
}

// The ENABLE ALWAYS trigger fires for the backfill's updates and runs its function with the
// runner's privileges: when the application role owns that function, it could replace it with its
// own code. The backfill refuses before its first batch, naming the trigger, the function and its
// owner; once another role owns the function, it goes ahead.
TEST(BackfillTriggers, ATriggerFunctionTheApplicationCouldReplaceIsRefusedBeforeAnyBatch) {
  testing::ConvertedDatabase database("trig_owned", kSchema, kSpec);
  database.exec("ALTER FUNCTION log_always() OWNER TO " + database.appRole);
  SilentObserver silent;
  RunOptions options;
  options.until = plan::Phase::Backfill;
  try {
    Engine(database.url, database.migration, silent).run(options);
    FAIL() << "the backfill ran a trigger function the application could replace";
  } catch (const EngineError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("trigger accounts_always of accounts fires for the backfill's updates "
                           "and runs public.log_always() with the runner's privileges, and " +
                           database.appRole + " is a member of that function's owner " +
                           database.appRole),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(database.scalar("SELECT count(*) FROM accounts WHERE tenant_id IS NOT NULL"), "0");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM always_log"), "0");
  EXPECT_EQ(
      database.scalar("SELECT state FROM tenantshift.step WHERE step_id = 'backfill/accounts'"),
      "failed");

  database.exec("ALTER FUNCTION log_always() OWNER TO CURRENT_USER");
  Engine(database.url, database.migration, silent).run(options);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM accounts WHERE tenant_id IS NULL"), "0");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM always_log"), "500");
}

TEST(BackfillTriggers, WithoutThePrivilegeTheyFireAsBeforeAndTheRunnerWarnsOnce) {
  testing::ConvertedDatabase database("trig_plain", kSchema, kSpec);
  // A runner that is not a superuser: it may update accounts and write the ledger, no more.
  const std::string runner = database.createRunner(
      "GRANT UPDATE, SELECT ON accounts TO RUNNER; "
      "GRANT INSERT ON account_audit, always_log TO RUNNER;");
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));

  ExecutionSettings settings;
  settings.sleep = [](std::chrono::milliseconds) {};
  SilentObserver silent;
  const std::string url = database.urlAs(runner);
  Session session([url] { return db::connect(url); });
  const Ledger ledger = database.ledger();
  BackfillRunner runner_(
      session, ledger, settings, silent,
      backfillSettingsFor(database.migration.spec, [url] { return db::connect(url); }));
  const std::int64_t rows = runner_.run(database.step("backfill/accounts"));
  // Running again (the next table of a run uses the same runner) does not warn again.
  const std::int64_t again = runner_.run(database.step("backfill/accounts"));
  spdlog::set_default_logger(previous);

  EXPECT_EQ(rows, 500);
  EXPECT_EQ(again, 500);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM accounts WHERE tenant_id IS NULL"), "0");
  // Today's behaviour: every trigger fires for every backfilled row.
  EXPECT_EQ(database.scalar("SELECT count(*) FROM account_audit"), "500");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM always_log"), "500");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM accounts WHERE last_update = "
                            "timestamptz '2020-01-01 00:00:00+00'"),
            "0");
  const auto logged = sink->last_formatted();
  const auto warnings = std::count_if(logged.begin(), logged.end(), [](const std::string& line) {
    return line.find("may not set session_replication_role (not a superuser") != std::string::npos;
  });
  EXPECT_EQ(warnings, 1);
  EXPECT_TRUE(std::any_of(logged.begin(), logged.end(), [](const std::string& line) {
    return line.find(
               "table=accounts triggers=accounts_always,accounts_audit,accounts_touch "
               "fire for every backfilled row") != std::string::npos;
  }));
}

// pets take their owner's tenant; their batches set owner_id to itself (BackfillTask::
// touchedColumns), which would fire a trigger declared UPDATE OF owner_id. The ENABLE ALWAYS
// one fires as replica too: the runner sees it and leaves owner_id out of the SET list.
constexpr const char* kOwnerSchema = R"sql(
CREATE TABLE owners (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE pets (id bigint PRIMARY KEY, owner_id bigint NOT NULL REFERENCES owners,
                   name text NOT NULL);
CREATE INDEX pets_owner_id_idx ON pets (owner_id);
CREATE TABLE owner_changes (pet_id bigint NOT NULL, old_owner bigint, new_owner bigint);
CREATE FUNCTION owner_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO owner_changes VALUES (NEW.id, OLD.owner_id, NEW.owner_id); RETURN NULL; END $$;
CREATE TRIGGER pets_owner_changed AFTER UPDATE OF owner_id ON pets FOR EACH ROW
  EXECUTE FUNCTION owner_changed();
ALTER TABLE pets ENABLE ALWAYS TRIGGER pets_owner_changed;
INSERT INTO owners SELECT g, 'owner ' || g FROM generate_series(1, 20) g;
INSERT INTO pets SELECT g, 1 + g % 20, 'pet ' || g FROM generate_series(1, 300) g;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO APP_ROLE;
)sql";

constexpr const char* kOwnerSpec = R"(  tables:
    - name: owners
    - name: pets
      from: {parent: owners, via: owner_id}
  exclude: [owner_changes]
  backfill: {batchSize: 64, throttle: {enabled: false}}
)";

TEST(BackfillTriggers, ATriggerOnTheParentKeyDoesNotFireForTheBackfillsUpdates) {
  testing::ConvertedDatabase database("trig_owner", kOwnerSchema, kOwnerSpec);
  ASSERT_EQ(database.step("backfill/pets").backfill->touchedColumns,
            std::vector<std::string>{"owner_id"});
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  SilentObserver silent;
  Engine engine(database.url, database.migration, silent);
  RunOptions options;
  options.until = plan::Phase::Backfill;
  engine.run(options);
  spdlog::set_default_logger(previous);

  EXPECT_EQ(database.scalar("SELECT count(*) FROM pets WHERE tenant_id IS NULL"), "0");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM owner_changes"), "0")
      << "the backfill fired the application's UPDATE OF owner_id trigger";
  const auto logged = sink->last_formatted();
  EXPECT_TRUE(std::any_of(logged.begin(), logged.end(), [](const std::string& line) {
    return line.find("table=pets triggers=pets_owner_changed are declared UPDATE OF owner_id") !=
           std::string::npos;
  }));
  // The application's own change of an owner still fires it.
  database.exec("UPDATE pets SET owner_id = 2 WHERE id = 1");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM owner_changes"), "1");
}

}  // namespace
}  // namespace tenantshift::engine
