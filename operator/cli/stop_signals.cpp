#include "cli/stop_signals.h"

#include <stdexcept>

namespace tenantshift::cli {

namespace {

// What the handler writes: a lock-free atomic, constant-initialised (no guard a handler could
// run into).
constinit engine::StopRequest stopRequest;

extern "C" void onStopSignal(int signal) {
  stopRequest.request(signal);
}

void install(int signal, struct sigaction& previous) {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: a read or write the signal lands in goes on (libpq's included); SA_RESETHAND:
  // the next signal has its default effect.
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  if (::sigaction(signal, &action, &previous) != 0) {
    throw std::runtime_error("could not install the handler for signal " + std::to_string(signal));
  }
}

}  // namespace

StopSignals::StopSignals() {
  install(SIGTERM, previousTerm_);
  install(SIGINT, previousInt_);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGTERM, &previousTerm_, nullptr);
  ::sigaction(SIGINT, &previousInt_, nullptr);
}

const engine::StopRequest& StopSignals::request() const {
  return stopRequest;
}

}  // namespace tenantshift::cli
