#include "attack_runner.h"

#include <gtest/gtest.h>

#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>

#include "db/failure.h"
#include "support/rentals_fixture.h"

namespace tenantshift::attacks {

namespace {

using tenantshift::realistic::appUrl;

// What one case did: its error, or its last statement's result.
struct Outcome {
  std::optional<std::string> earlierError;  // an `earlier` statement failed: the case cannot run
  std::optional<std::string> error;
  std::string sqlstate;  // of `error`
  pqxx::result result;
};

Outcome attempt(const std::string& url, const Attack& attack,
                const std::map<std::string, std::string>& ids) {
  Outcome outcome;
  pqxx::connection connection(appUrl(url));
  for (const auto& statement : attack.earlier) {
    try {
      pqxx::nontransaction tx(connection);
      tx.exec(substitute(statement, ids));
    } catch (const pqxx::sql_error& error) {
      outcome.earlierError = substitute(statement, ids) + ": " + error.what();
      return outcome;
    }
  }
  try {
    pqxx::work tx(connection);
    if (attack.tenant) {
      tx.exec_params("SELECT set_config('app.current_branch_id', $1, true)", *attack.tenant);
    }
    outcome.result = tx.exec(substitute(attack.sql, ids));
    tx.abort();
  } catch (const pqxx::sql_error& error) {
    outcome.error = error.what();
    outcome.sqlstate = db::sqlStateOf(error);
  }
  return outcome;
}

std::string firstValue(const pqxx::result& result) {
  if (result.empty() || result.columns() == 0) {
    return "<no rows>";
  }
  return result[0][0].is_null() ? "NULL" : result[0][0].as<std::string>();
}

std::string describe(const Outcome& outcome) {
  if (outcome.error) {
    return "refused (SQLSTATE " + outcome.sqlstate + "): " + *outcome.error;
  }
  std::ostringstream out;
  out << "succeeded: " << outcome.result.size() << " row(s), " << outcome.result.affected_rows()
      << " affected";
  int shown = 0;
  for (const auto& row : outcome.result) {
    if (++shown > 20) {
      out << "\n  ...";
      break;
    }
    out << "\n ";
    for (const auto& field : row) {
      out << " " << (field.is_null() ? "NULL" : field.c_str());
    }
  }
  return out.str();
}

}  // namespace

std::string substitute(std::string sql, const std::map<std::string, std::string>& ids) {
  for (const auto& [key, id] : ids) {
    const std::string placeholder = "{" + key + "}";
    for (auto at = sql.find(placeholder); at != std::string::npos;
         at = sql.find(placeholder, at + id.size())) {
      sql.replace(at, placeholder.size(), id);
    }
  }
  return sql;
}

void expectDefended(const std::string& url, const Attack& attack,
                    const std::map<std::string, std::string>& ids) {
  const std::string sql = substitute(attack.sql, ids);
  const std::string expected = substitute(attack.expected, ids);
  const Outcome outcome = attempt(url, attack, ids);
  ASSERT_FALSE(outcome.earlierError.has_value())
      << "what the case needs from an earlier request failed: " << *outcome.earlierError;
  std::string context = "as rentals_app, tenant " +
                        (attack.tenant ? "'" + *attack.tenant + "'" : "not set") + ":\n  " + sql +
                        "\n" + describe(outcome);
  if (!attack.earlier.empty()) {
    context = "after, on the same connection:\n  " + substitute(attack.earlier.front(), ids) +
              (attack.earlier.size() > 1 ? "\n  ..." : "") + "\n" + context;
  }
  if (!attack.exposure.empty()) {
    context = "a documented exposure (README, security model): " + attack.exposure +
              "; if it is closed now, say so in the README and change the case\n" + context;
  }
  switch (attack.expect) {
    case Expect::kRefused: {
      ASSERT_TRUE(outcome.error.has_value()) << "the attack was not refused, " << context;
      // The primary message only: a DETAIL or HINT must not make another refusal match.
      const std::string message = outcome.error->substr(0, outcome.error->find('\n'));
      EXPECT_EQ(outcome.sqlstate, attack.sqlstate)
          << "refused, but not with the expected SQLSTATE, " << context;
      EXPECT_NE(message.find(expected), std::string::npos)
          << "refused, but not for the expected reason (\"" << expected << "\"), " << context;
      return;
    }
    case Expect::kValue:
      ASSERT_FALSE(outcome.error.has_value()) << context;
      EXPECT_EQ(firstValue(outcome.result), expected) << context;
      return;
    case Expect::kEveryRow:
      ASSERT_FALSE(outcome.error.has_value()) << context;
      ASSERT_FALSE(outcome.result.empty()) << "no row to look at, " << context;
      for (const auto& row : outcome.result) {
        ASSERT_EQ(row[0].is_null() ? "NULL" : row[0].as<std::string>(), expected) << context;
      }
      return;
    case Expect::kAtMostOneTenant: {
      ASSERT_FALSE(outcome.error.has_value()) << context;
      const std::string tenants = firstValue(outcome.result);
      EXPECT_TRUE(tenants == "0" || tenants == "1")
          << "one statement saw " << tenants << " tenants, " << context;
      return;
    }
    case Expect::kNoRows:
      ASSERT_FALSE(outcome.error.has_value()) << context;
      EXPECT_EQ(outcome.result.size(), 0U) << context;
      EXPECT_EQ(outcome.result.affected_rows(), 0U) << context;
      return;
    case Expect::kNoRowsRemoved: {
      ASSERT_FALSE(outcome.error.has_value()) << context;
      static const std::regex removed("Rows Removed by Filter: ([0-9]+)");
      for (const auto& row : outcome.result) {
        const std::string line = row[0].c_str();
        std::smatch match;
        if (std::regex_search(line, match, removed)) {
          EXPECT_EQ(match[1].str(), "0") << "the plan counts other tenants' rows, " << context;
        }
      }
      return;
    }
  }
}

}  // namespace tenantshift::attacks
