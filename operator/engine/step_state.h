#pragma once

#include <optional>
#include <string_view>

namespace tenantshift::engine {

// Where a step stands in the ledger (tenantshift.step.state, which keeps it as text).
enum class StepState { Pending, Running, Done, Failed, RolledBack };

// "pending", "running", "done", "failed", "rolled_back": the ledger's and the output's spelling.
std::string_view toString(StepState state);
std::optional<StepState> stepStateFromString(std::string_view text);

// Whether the step's up may have taken effect (done, failed or running): what a rollback undoes.
bool mayHaveTakenEffect(StepState state);

}  // namespace tenantshift::engine
