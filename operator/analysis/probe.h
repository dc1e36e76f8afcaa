#pragma once

#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "analysis/sample_window.h"

namespace tenantshift::analysis {

using ConnectionFactory = std::function<std::unique_ptr<pqxx::connection>()>;

// One measurement of how the system under observation responds. Implementations own whatever
// they measure with (a connection) and never throw for a failed measurement: a failure is a
// sample with failed = true and the reason in `error`.
struct ProbeResult {
  LatencySample sample;
  std::string error;  // set when sample.failed
};

class Probe {
 public:
  virtual ~Probe() = default;
  // Takes one measurement now, on the caller's thread.
  virtual ProbeResult measure() = 0;
  // For people and logs: what it measures ("SQL probe as alphapulse_app: SELECT 1").
  virtual std::string describe() const = 0;
};

}  // namespace tenantshift::analysis
