#pragma once

#include <signal.h>

#include "engine/stop_request.h"

namespace tenantshift::cli {

// While it lives, SIGTERM and SIGINT do not end the process: they ask the engine to stop at its
// next safe point (between steps, between backfill batches), through request(). The handler is
// installed with SA_RESETHAND: a second signal ends the process as usual (Ctrl-C twice). One at
// a time; the previous handlers come back when it is destroyed.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  const engine::StopRequest& request() const;

 private:
  struct sigaction previousTerm_ {};
  struct sigaction previousInt_ {};
};

}  // namespace tenantshift::cli
