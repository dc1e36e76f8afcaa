#include "analysis/sql_latency_probe.h"

#include <stdexcept>

namespace tenantshift::analysis {

SqlLatencyProbe::SqlLatencyProbe(ConnectionFactory connect, std::string role, std::string sql,
                                 std::chrono::milliseconds timeout, const Clock& clock)
    : connect_(std::move(connect)),
      role_(std::move(role)),
      sql_(std::move(sql)),
      timeout_(timeout),
      clock_(clock) {}

std::string SqlLatencyProbe::describe() const {
  return "SQL probe as " + role_ + ": " + sql_;
}

pqxx::connection& SqlLatencyProbe::connection() {
  if (connection_ && !connection_->is_open()) {
    connection_.reset();
  }
  if (!connection_) {
    auto opened = connect_();
    pqxx::nontransaction setup(*opened);
    // Session settings: they outlive the rolled-back probe transactions.
    setup.exec("SET application_name = 'tenantshift probe'");
    setup.exec("SET ROLE " + setup.quote_name(role_));
    setup.exec_params("SELECT pg_catalog.set_config('statement_timeout', $1, false)",
                      std::to_string(timeout_.count()) + "ms");
    // The probe is the application's SQL: it names the application's tables as the application
    // does, with the login's search_path (db::connect pins tenantshift's own). Last: nothing of
    // tenantshift's runs after it.
    setup.exec("RESET search_path");
    connection_ = std::move(opened);
  }
  return *connection_;
}

ProbeResult SqlLatencyProbe::measure() {
  ProbeResult out;
  TimePoint start = clock_.now();
  try {
    pqxx::connection& conn = connection();
    pqxx::work tx(conn);
    start = clock_.now();
    tx.exec(sql_);
    out.sample.finishedAt = clock_.now();
    out.sample.millis = millisBetween(start, out.sample.finishedAt);
    tx.abort();
  } catch (const pqxx::broken_connection& error) {
    connection_.reset();
    out.sample.failed = true;
    out.error = error.what();
  } catch (const pqxx::failure& error) {
    out.sample.failed = true;
    out.error = error.what();
  } catch (const std::runtime_error& error) {
    // db::connect reports an unreachable server this way (its message names no password).
    connection_.reset();
    out.sample.failed = true;
    out.error = error.what();
  }
  if (out.sample.failed) {
    out.sample.finishedAt = clock_.now();
    out.sample.millis = millisBetween(start, out.sample.finishedAt);
  }
  return out;
}

}  // namespace tenantshift::analysis
