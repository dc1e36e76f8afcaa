#include "engine/stop_request.h"

#include <csignal>

namespace tenantshift::engine {

std::string StopRequest::signalName() const {
  const int signal = signal_.load(std::memory_order_relaxed);
  switch (signal) {
    case 0:
      return "";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal " + std::to_string(signal);
  }
}

}  // namespace tenantshift::engine
