#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "analysis/clock.h"
#include "analysis/probe.h"

namespace tenantshift::analysis {

// Times one SQL query of the user's choice as the application's role: on its own connection,
// after SET ROLE <role>, inside a transaction that is rolled back (a probe never changes data),
// under statement_timeout = `timeout` (a probe stuck behind a lock fails after that and counts
// as slow). The time is that of the query alone (not BEGIN/ROLLBACK). A lost connection is
// reconnected at the next measurement.
class SqlLatencyProbe final : public Probe {
 public:
  SqlLatencyProbe(ConnectionFactory connect, std::string role, std::string sql,
                  std::chrono::milliseconds timeout, const Clock& clock);

  ProbeResult measure() override;
  std::string describe() const override;

 private:
  pqxx::connection& connection();

  ConnectionFactory connect_;
  std::string role_;
  std::string sql_;
  std::chrono::milliseconds timeout_;
  const Clock& clock_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace tenantshift::analysis
