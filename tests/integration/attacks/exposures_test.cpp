// What stays open after the conversion and only the application can close (README, "Security
// model"), shown where it takes more than one connection: one session of rentals_app as tenant B
// (the victim), another as tenant A (the attacker), on the enforced database of the suite.
// Each test asserts the exposure exactly as the README states it, so that the README must change
// when PostgreSQL or tenantshift closes it; and what the README says keeps it closed.
#include <gtest/gtest.h>

#include <algorithm>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "attack.h"
#include "attack_states.h"
#include "support/rentals_fixture.h"

namespace tenantshift::attacks {
namespace {

using tenantshift::realistic::appUrl;

// rentals_app with `tenant` set for the session's transactions to come (each test commits or
// rolls back its own): the victim's or the attacker's connection.
class AppSession {
 public:
  explicit AppSession(const std::string& url) : connection_(appUrl(url)) {}

  // One transaction with `tenant` set (set_config(..., true)) running `sql`, committed.
  pqxx::result inTransaction(const std::string& tenant, const std::string& sql) {
    pqxx::work tx(connection_);
    tx.exec_params("SELECT set_config('app.current_branch_id', $1, true)", tenant);
    pqxx::result result = tx.exec(sql);
    tx.commit();
    return result;
  }
  pqxx::connection& connection() { return connection_; }

 private:
  pqxx::connection connection_;
};

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel)
      : pqxx::notification_receiver(connection, channel) {}
  void operator()(const std::string& payload, int /*backendPid*/) override {
    payloads.push_back(payload);
  }
  std::vector<std::string> payloads;
};

// NOTIFY is not under row-level security: every session of the role can LISTEN on any channel,
// whatever tenant it has set, and receives the payloads of every tenant's sessions; so also after
// each rollback (LISTEN never had a tenant). A payload is only what its sender could read (the
// policies filter what goes into it, while there are policies), but what the application puts
// into one, every listener gets.
class NotifyInEveryState : public ::testing::TestWithParam<State> {};

TEST_P(NotifyInEveryState, PayloadsReachEveryListenerWhateverItsTenant) {
  const AttackState& state = attackState(GetParam());
  ASSERT_EQ(state.error, "");
  AppSession victim(state.url);
  AppSession attacker(state.url);
  // LISTEN has no tenant: the attacker listens on the channel B's requests notify on.
  Receiver heard(attacker.connection(), "tenantshift_attack");
  victim.inTransaction(kForeign, "SELECT pg_notify('tenantshift_attack', 'a secret of branch 3')");
  const bool policies = GetParam() <= State::kFlagOff;
  if (policies) {
    // And A sends itself what it can read of B's rows: the policies filter the payload's query.
    attacker.inTransaction(kOwn,
                           "SELECT pg_notify('tenantshift_attack', coalesce((SELECT "
                           "string_agg(email, ',') FROM customers WHERE branch_id = 3), 'none'))");
  }
  const std::size_t expected = policies ? 2 : 1;
  for (int waits = 0; heard.payloads.size() < expected && waits < 10; ++waits) {
    attacker.connection().await_notification(1, 0);
  }
  ASSERT_EQ(heard.payloads.size(), expected);
  EXPECT_EQ(heard.payloads[0], "a secret of branch 3")
      << "a listener of tenant A no longer receives tenant B's payloads: update the README";
  if (policies) {
    EXPECT_EQ(heard.payloads[1], "none") << "a payload built as A from B's rows carried B's rows";
  }
}

std::string stateName(const ::testing::TestParamInfo<State>& param) {
  std::string name(toString(param.param));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(States, NotifyInEveryState, ::testing::ValuesIn(kAllStates), stateName);

// pg_stat_activity shows each session's current (or last) statement to every session of the same
// role: SQL text with the tenant's data in it is another tenant's to read; a bound parameter
// ($1) is not in the text. Another role's sessions (the superuser's) show no text at all.
TEST(EnforcedExposures, PgStatActivityShowsTheRolesSqlTextButNotBoundParameters) {
  const AttackState& state = attackState(State::kEnforced);
  ASSERT_EQ(state.error, "");
  AppSession victim(state.url);
  AppSession attacker(state.url);
  pqxx::connection superuser(state.url);
  const std::string pid = std::to_string(victim.connection().backendpid());
  auto lastStatementOf = [&](const std::string& backend) {
    pqxx::result rows = attacker.inTransaction(
        kOwn, "SELECT coalesce(query, 'NULL') FROM pg_stat_activity WHERE pid = " + backend);
    return rows.empty() ? std::string("<no session>") : rows[0][0].as<std::string>();
  };

  {
    // B's request, still in its transaction while A looks.
    pqxx::work tx(victim.connection());
    tx.exec_params("SELECT set_config('app.current_branch_id', $1, true)", kForeign);
    tx.exec("SELECT count(*) FROM customers WHERE email = 'literal@branch3.example'");
    EXPECT_NE(lastStatementOf(pid).find("literal@branch3.example"), std::string::npos)
        << "tenant A no longer sees the SQL text of tenant B's session: update the README";
    tx.exec_params("SELECT count(*) FROM customers WHERE email = $1", "bound@branch3.example");
    const std::string bound = lastStatementOf(pid);
    EXPECT_EQ(bound.find("bound@branch3.example"), std::string::npos) << bound;
    EXPECT_NE(bound.find("email = $1"), std::string::npos) << bound;
    tx.commit();
  }

  pqxx::nontransaction admin(superuser);
  admin.exec("SELECT 'superuser@secret.example'");
  EXPECT_EQ(lastStatementOf(std::to_string(superuser.backendpid())), "<insufficient privilege>");
}

// A sequence is every tenant's: nextval tells a tenant how many ids the others used in between.
TEST(EnforcedExposures, SequenceGapsCountOtherTenantsInserts) {
  const AttackState& state = attackState(State::kEnforced);
  ASSERT_EQ(state.error, "");
  AppSession victim(state.url);
  AppSession attacker(state.url);
  const std::string next = "SELECT nextval('notes_note_id_seq')";
  const auto before = attacker.inTransaction(kOwn, next)[0][0].as<long long>();
  {
    // B writes three notes (rolled back: the ids are used all the same, and no data stays).
    pqxx::work tx(victim.connection());
    tx.exec_params("SELECT set_config('app.current_branch_id', $1, true)", kForeign);
    tx.exec("INSERT INTO notes (body) SELECT 'note of branch 3' FROM generate_series(1, 3)");
    tx.abort();
  }
  const auto after = attacker.inTransaction(kOwn, next)[0][0].as<long long>();
  EXPECT_EQ(after - before - 1, 3)
      << "nextval no longer counts other tenants' inserts: update the README";
}

// Large objects have no tenant and no row-level security: one the role owns is every session's
// of the role, whatever tenant it has set (the fixture revokes lo_create and lo_from_bytea, as the
// README asks; here the superuser hands the role one, as an application granted them would
// have made it).
TEST(EnforcedExposures, TheRolesLargeObjectsAreEveryTenants) {
  const AttackState& state = attackState(State::kEnforced);
  ASSERT_EQ(state.error, "");
  pqxx::connection superuser(state.url);
  pqxx::nontransaction admin(superuser);
  const std::string oid =
      admin.exec1("SELECT lo_from_bytea(0, 'invoice of branch 3')")[0].as<std::string>();
  admin.exec("ALTER LARGE OBJECT " + oid + " OWNER TO rentals_app");
  AppSession attacker(state.url);
  std::string read;
  try {
    read = attacker.inTransaction(kOwn, "SELECT convert_from(lo_get(" + oid + "), 'UTF8')")[0][0]
               .as<std::string>();
  } catch (const pqxx::sql_error& error) {
    read = std::string("refused: ") + error.what();
  }
  admin.exec("SELECT lo_unlink(" + oid + ")");
  EXPECT_EQ(read, "invoice of branch 3")
      << "tenant A can no longer read the role's large objects: update the README";
}

// A materialized view's REFRESH runs its query as the view's owner, whoever issues it: a
// superuser's too. customer_emails belongs to rentals_owner, which owns customers and is subject
// to the policies (FORCE): after enforce a refresh stores no row, or with a tenant set in the
// refreshing session only that tenant's rows. An owner with BYPASSRLS (and SELECT on what the
// view reads) refreshes every tenant's rows, which is what the plan's note says. Each REFRESH in
// a transaction rolled back: the suite's database stays as it was.
TEST(EnforcedExposures, RefreshOfAMaterializedViewRunsAsItsOwnerWhoeverIssuesIt) {
  const AttackState& state = attackState(State::kEnforced);
  ASSERT_EQ(state.error, "");
  pqxx::connection superuser(state.url);
  auto refreshed = [&](const std::string& before) {
    pqxx::work tx(superuser);
    tx.exec(before);
    tx.exec("REFRESH MATERIALIZED VIEW customer_emails");
    const pqxx::row row = tx.exec1(
        "SELECT count(*) || '/' || count(*) FILTER (WHERE c.branch_id = 3) FROM "
        "customer_emails e LEFT JOIN customers c ON c.customer_id = e.customer_id");
    tx.abort();
    return row[0].as<std::string>();
  };
  const std::string b = state.ids.at("b_customers");
  const std::string all = state.ids.at("all_customers");
  EXPECT_EQ(refreshed("SELECT 1"), "0/0") << "a superuser's REFRESH with no tenant set no longer "
                                             "stores nothing: update the plan's note";
  EXPECT_EQ(refreshed("SELECT set_config('app.current_branch_id', '3', true)"), b + "/" + b)
      << "a REFRESH with tenant B set no longer stores B's rows only: update the plan's note";
  EXPECT_EQ(refreshed("CREATE ROLE tenantshift_attack_refresher NOLOGIN BYPASSRLS; "
                      "GRANT SELECT ON customers TO tenantshift_attack_refresher; "
                      "ALTER MATERIALIZED VIEW customer_emails OWNER TO "
                      "tenantshift_attack_refresher"),
            all + "/" + b)
      << "an owner with BYPASSRLS no longer refreshes every tenant's rows";
}

}  // namespace
}  // namespace tenantshift::attacks
