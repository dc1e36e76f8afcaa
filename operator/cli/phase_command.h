#pragma once

#include <ostream>

#include "api/migration_spec.h"
#include "cli/arguments.h"
#include "cli/command_result.h"
#include "engine/engine.h"
#include "engine/stop_request.h"
#include "plan/step.h"

namespace tenantshift::cli {

// `tenantshift phase NAME`: runs that phase only (Engine::run with RunOptions::only), as the
// operator's Job for the phase does; a phase done already is a success that changes nothing.
// Prints a line for people in text output; `-o json` output is the caller's (the summary).
CommandResult runPhase(engine::Engine& engine, const api::TenantMigration& migration,
                       plan::Phase phase, const engine::StopRequest& stop,
                       const Arguments& arguments, std::ostream& out);

}  // namespace tenantshift::cli
