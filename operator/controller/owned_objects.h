#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/observation.h"
#include "controller/wall_clock.h"
#include "kube/object_cache.h"

namespace tenantshift::controller {

// What decide() sees of the objects the operator made for a migration, read from the informers'
// caches (pure: objects in, observations out).

// The objects in `objects` labelled as belonging to `migration` (tenantshift.dev/migration).
std::vector<kube::ObjectPtr> ownedBy(const std::vector<kube::ObjectPtr>& objects,
                                     const std::string& migration);

// A phase Job: its phase and generation from its labels, whether it ended and how, and for a
// failed one the termination message of its newest ended pod among `pods` (the engine's JSON
// summary; the log's tail when the pod did not write one).
ObservedJob observeJob(const nlohmann::json& job, const std::vector<kube::ObjectPtr>& pods,
                       WallClock::TimePoint now);

// The names of the pods among `pods` that have not ended (phase neither Succeeded nor Failed).
std::vector<std::string> livePods(const std::vector<kube::ObjectPtr>& pods);

// Whether `object`'s ownerReferences name the object with this uid.
bool ownedByUid(const nlohmann::json& object, const std::string& uid);

}  // namespace tenantshift::controller
