#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "analysis/clock.h"
#include "analysis/probe.h"

namespace tenantshift::analysis {

// Times one SQL query of the user's choice as the application's role, on its own connection,
// under statement_timeout = `timeout` (a probe stuck behind a lock fails after that and counts
// as slow). A lost connection is reconnected at the next measurement.
//
// Each measurement is one transaction: `commitWrite` (when given: a write of the runner's own,
// run as the runner), then the query as `role` (SET LOCAL ROLE), then, with a write, ROLLBACK TO
// a savepoint taken before the query and COMMIT, else ROLLBACK: either way a probe never changes
// the application's data. With a write, the COMMIT waits for the WAL flush, as every commit of the
// application does: a backfill that floods the WAL delays the application's commits, which a
// read-only or rolled-back probe never sees. The time is that of the whole transaction, from its
// BEGIN to its COMMIT or ROLLBACK.
class SqlLatencyProbe final : public Probe {
 public:
  SqlLatencyProbe(ConnectionFactory connect, std::string role, std::string sql,
                  std::optional<std::string> commitWrite, std::chrono::milliseconds timeout,
                  const Clock& clock);

  ProbeResult measure() override;
  std::string describe() const override;

 private:
  pqxx::connection& connection();
  void probeOnce(pqxx::connection& conn);

  ConnectionFactory connect_;
  std::string role_;
  std::string sql_;
  std::optional<std::string> commitWrite_;
  std::chrono::milliseconds timeout_;
  const Clock& clock_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace tenantshift::analysis
