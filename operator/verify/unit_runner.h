#pragma once

#include <functional>
#include <pqxx/pqxx>
#include <string>

#include "verify/verify_inputs.h"

namespace tenantshift::verify {

// How a unit of work ended.
struct UnitRun {
  bool done = false;
  int attempts = 0;
  std::string error;  // why it did not complete, for a Failed result
};

// Runs `unit` (which opens its own transaction and never commits) until it completes. A unit
// that cannot get its locks (lock timeout, deadlock, serialization failure, every row locked by
// others) is retried after options.retry's backoff, through the injected sleep, at most
// options.retry.retries times; another database error ends it at once. A lost connection is
// rethrown (the caller reconnects). `what` names the unit in messages.
UnitRun runUnit(pqxx::connection& connection, const VerifyOptions& options, const std::string& what,
                const std::function<void(pqxx::connection&)>& unit);

}  // namespace tenantshift::verify
