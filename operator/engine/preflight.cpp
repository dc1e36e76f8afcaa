#include "engine/preflight.h"

#include <spdlog/spdlog.h>

#include <string>

#include "api/spec_error.h"
#include "engine/execution.h"

namespace tenantshift::engine {

namespace {

bool causedByDataOrSchema(const pqxx::sql_error& error) {
  const std::string& state = error.sqlstate();
  return state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0;
}

// PostgreSQL's message without the "ERROR:" prefix, its lines joined with "; ", runs of spaces
// collapsed and the final period dropped.
std::string databaseMessage(const pqxx::sql_error& error) {
  std::string text = error.what();
  if (text.rfind("ERROR:", 0) == 0) {
    text.erase(0, 6);
  }
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n') {
      if (!out.empty()) {
        out += ";";
      }
      space = true;
    } else if (c == ' ' || c == '\t') {
      space = true;
    } else {
      if (space && !out.empty()) {
        out += ' ';
      }
      space = false;
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ';' || out.back() == '.')) {
    out.pop_back();
  }
  return out;
}

}  // namespace

void runPreflights(pqxx::connection& connection, const std::vector<plan::Preflight>& preflights,
                   std::chrono::milliseconds lockTimeout) {
  if (preflights.empty()) {
    return;
  }
  pqxx::work tx(connection);
  tx.exec_params("SELECT set_config('lock_timeout', $1, true)",
                 std::to_string(lockTimeout.count()) + "ms");
  for (const plan::Preflight& preflight : preflights) {
    try {
      execStatement(tx, preflight.statement);
    } catch (const pqxx::sql_error& error) {
      if (!causedByDataOrSchema(error)) {
        throw;
      }
      throw api::SpecError(preflight.field, "tried before any change, " + preflight.what +
                                                " would fail: " + databaseMessage(error) + ". " +
                                                preflight.hint);
    }
    spdlog::debug("preflight passed what=\"{}\"", preflight.what);
  }
  tx.abort();
}

}  // namespace tenantshift::engine
