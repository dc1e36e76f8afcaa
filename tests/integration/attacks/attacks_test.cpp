// The attack suite (issue 7): the rentals chain (tests/fixtures/rentals) converted to the end
// (`tenantshift run`: flag on, policies enforced), then the application's own login role,
// rentals_app, tries to get at another branch's rows every way it can (attack_cases.cpp). Every
// case runs on a connection and in a transaction of its own (rolled back), and must be refused or
// see nothing of B (or, for a documented exposure, show exactly what the README says stays open).
// The cases that still hold then run again after each `tenantshift rollback --scenario`, each on
// a database of its own (attack_states.h); rollback_state_test.cpp checks what each scenario
// leaves behind.
#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "attack.h"
#include "attack_runner.h"
#include "attack_states.h"
#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/rentals_fixture.h"
#include "support/tenantshift_process.h"

namespace tenantshift::attacks {
namespace {

using tenantshift::realistic::appUrl;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::queryValue;
using tenantshift::testing::runCommand;
using tenantshift::testing::runTenantshift;
using tenantshift::testing::shellQuote;

struct StateCase {
  State state;
  Attack attack;
};

std::ostream& operator<<(std::ostream& out, const StateCase& stateCase) {
  return out << toString(stateCase.state) << ": " << stateCase.attack.name;
}

std::vector<StateCase> casesIn(State state) {
  std::vector<StateCase> out;
  for (auto& attack : attackCasesIn(state)) {
    out.push_back({state, std::move(attack)});
  }
  return out;
}

std::string testName(const ::testing::TestParamInfo<StateCase>& info) {
  std::string name;
  for (char c : info.param.attack.name) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      name += c;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') {
    name.pop_back();
  }
  return std::to_string(info.index) + "_" + name;
}

class Attacks : public ::testing::TestWithParam<StateCase> {};

TEST_P(Attacks, IsRefusedOrSeesOnlyItsOwnTenant) {
  const AttackState& state = attackState(GetParam().state);
  ASSERT_EQ(state.error, "");
  expectDefended(state.url, GetParam().attack, state.ids);
}

INSTANTIATE_TEST_SUITE_P(Enforced, Attacks, ::testing::ValuesIn(casesIn(State::kEnforced)),
                         testName);
INSTANTIATE_TEST_SUITE_P(FlagOff, Attacks, ::testing::ValuesIn(casesIn(State::kFlagOff)), testName);
INSTANTIATE_TEST_SUITE_P(DisableRls, Attacks, ::testing::ValuesIn(casesIn(State::kDisableRls)),
                         testName);
INSTANTIATE_TEST_SUITE_P(Full, Attacks, ::testing::ValuesIn(casesIn(State::kFull)), testName);

// psql as rentals_app, fed `script` on stdin.
tenantshift::testing::CommandResult psqlAsApp(const std::string& url, const std::string& script) {
  const auto& server = PostgresServer::shared();
  return runCommand("printf '%s' " + shellQuote(script) + " | " +
                    shellQuote((server.binDir() / "psql").string()) +
                    " -X -q -At -v ON_ERROR_STOP=1 -d " + shellQuote(appUrl(url)) + " -f -");
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

std::string withTenant(const std::string& statement) {
  return std::string("BEGIN;\nSELECT set_config('app.current_branch_id', '") + kOwn +
         "', true) \\gset\n" + statement + "\nCOMMIT;\n";
}

// COPY TO STDOUT yields A's rows only; COPY FROM STDIN cannot write B's.
TEST(EnforcedCopy, ToStdoutYieldsOnlyTheOwnTenantsRows) {
  const AttackState& state = attackState(State::kEnforced);
  ASSERT_EQ(state.error, "");
  const auto customers = psqlAsApp(state.url, withTenant("COPY customers (branch_id) TO STDOUT;"));
  ASSERT_EQ(customers.exitCode, 0) << customers.output;
  const auto rows = lines(customers.output);
  EXPECT_EQ(std::to_string(rows.size()), state.ids.at("own_customers")) << customers.output;
  for (const auto& row : rows) {
    ASSERT_EQ(row, kOwn) << "COPY customers TO STDOUT yielded another tenant's row";
  }
  const auto payments =
      psqlAsApp(state.url, withTenant("COPY (SELECT branch_id FROM payments) TO STDOUT;"));
  ASSERT_EQ(payments.exitCode, 0) << payments.output;
  EXPECT_EQ(std::to_string(lines(payments.output).size()),
            queryValue(state.url, "SELECT count(*) FROM payments WHERE branch_id = 2"));
  for (const auto& row : lines(payments.output)) {
    ASSERT_EQ(row, kOwn) << "COPY (SELECT ... FROM payments) yielded another tenant's row";
  }
  const auto none = psqlAsApp(state.url, "COPY customers TO STDOUT;\n");
  EXPECT_EQ(none.exitCode, 0) << none.output;
  EXPECT_EQ(none.output, "") << "COPY with no tenant set yielded rows";
}

TEST(EnforcedCopy, FromStdinCannotWriteAnotherTenantsRows) {
  const AttackState& state = attackState(State::kEnforced);
  ASSERT_EQ(state.error, "");
  const auto copy = psqlAsApp(
      state.url, withTenant("COPY notes (body, branch_id) FROM STDIN;\nattack\t3\n\\.\n"));
  EXPECT_NE(copy.exitCode, 0) << "COPY FROM STDIN wrote a row of tenant 3:\n" << copy.output;
  EXPECT_EQ(queryValue(state.url, "SELECT count(*) FROM notes WHERE body = 'attack'"), "0");
}

// What stays open is reported: verify lists the writable global table and the other accepted
// exposures, each with the field of the spec that accepts it.
TEST(EnforcedVerify, ReportsTheWritableGlobalTableAndTheAcceptedExposures) {
  const AttackState& state = attackState(State::kEnforced);
  ASSERT_EQ(state.error, "");
  const auto verify = runTenantshift(state.url, {"verify", "-f", state.manifest.string()});
  EXPECT_EQ(verify.exitCode, 0) << verify.output;
  for (const char* line :
       {"[exposure.writable-global-table] film_stats", "spec.accept.writableGlobalTables",
        "[exposure.matview] sales_by_store", "spec.accept.materializedViews",
        "[exposure.function] tenant_id_for_slug(text)"}) {
    EXPECT_NE(verify.output.find(line), std::string::npos) << line << " missing:\n"
                                                           << verify.output;
  }
  EXPECT_NE(verify.output.find("the app role can neither create nor read large objects"),
            std::string::npos)
      << verify.output;
}

}  // namespace
}  // namespace tenantshift::attacks
