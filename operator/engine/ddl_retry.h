#pragma once

// The retry policy and failure classification live in db/ (the verifier uses them too); these
// names keep the engine's spelling.
#include "db/failure.h"
#include "db/retry_policy.h"

namespace tenantshift::engine {

using db::classifyFailure;
using db::FailureKind;
using db::firstLine;
using db::RetryPolicy;
using db::sqlStateOf;

}  // namespace tenantshift::engine
