#include "analysis/sql_latency_probe.h"

#include <stdexcept>

namespace tenantshift::analysis {

SqlLatencyProbe::SqlLatencyProbe(ConnectionFactory connect, std::string role, std::string sql,
                                 std::optional<std::string> commitWrite,
                                 std::chrono::milliseconds timeout, const Clock& clock)
    : connect_(std::move(connect)),
      role_(std::move(role)),
      sql_(std::move(sql)),
      commitWrite_(std::move(commitWrite)),
      timeout_(timeout),
      clock_(clock) {}

std::string SqlLatencyProbe::describe() const {
  return "SQL probe as " + role_ + ": " + sql_ + (commitWrite_ ? ", then a durable commit" : "");
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
    setup.exec_params("SELECT pg_catalog.set_config('statement_timeout', $1, false)",
                      std::to_string(timeout_.count()) + "ms");
    // The probe is the application's SQL: it names the application's tables as the application
    // does, with the login's search_path (db::connect pins tenantshift's own). The commit write
    // that runs under it too names its table with its schema and its functions with pg_catalog.
    setup.exec("RESET search_path");
    connection_ = std::move(opened);
  }
  return *connection_;
}

void SqlLatencyProbe::probeOnce(pqxx::connection& conn) {
  pqxx::work tx(conn);
  const std::string asRole = "SET LOCAL ROLE " + tx.quote_name(role_);
  if (!commitWrite_) {
    tx.exec(asRole);
    tx.exec(sql_);
    tx.abort();  // undoes whatever the query did
    return;
  }
  // One round trip before the query: the write (as the runner), the savepoint, the role.
  tx.exec(*commitWrite_ + "; SAVEPOINT tenantshift_probe; " + asRole);
  tx.exec(sql_);
  // Undoes whatever the query did, and the role with it; the write stays, to be committed.
  tx.exec("ROLLBACK TO SAVEPOINT tenantshift_probe");
  tx.commit();
}

ProbeResult SqlLatencyProbe::measure() {
  ProbeResult out;
  TimePoint start = clock_.now();
  try {
    pqxx::connection& conn = connection();
    start = clock_.now();
    probeOnce(conn);
    out.sample.finishedAt = clock_.now();
    out.sample.millis = millisBetween(start, out.sample.finishedAt);
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
