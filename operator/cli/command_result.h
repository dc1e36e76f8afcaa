#pragma once

#include <string>

#include "engine/outcome.h"

namespace tenantshift::cli {

// How one command ended: its outcome and one line on what happened (for the termination
// message; people read the command's own output).
struct CommandResult {
  engine::Outcome outcome = engine::Outcome::Completed;
  std::string message;
};

}  // namespace tenantshift::cli
