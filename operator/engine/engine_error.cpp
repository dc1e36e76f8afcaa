#include "engine/engine_error.h"

#include "engine/ddl_retry.h"

namespace tenantshift::engine {

Outcome outcomeOf(const std::exception& error) {
  if (const auto* engineError = dynamic_cast<const EngineError*>(&error)) {
    return engineError->outcome();
  }
  return outcomeOfDatabaseFailure(error);
}

Outcome outcomeOfDatabaseFailure(const std::exception& error) {
  switch (classifyFailure(error)) {
    case FailureKind::ConnectionLost:
    case FailureKind::InDoubt:
      return Outcome::DatabaseUnreachable;
    case FailureKind::Contention:
    case FailureKind::Fatal:
      return Outcome::Failed;
  }
  return Outcome::Failed;
}

}  // namespace tenantshift::engine
