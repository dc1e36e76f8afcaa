#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace tenantshift::kube {

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

// One event of a watch stream: {"type": "ADDED", "object": {...}}. A BOOKMARK's object carries
// only metadata.resourceVersion; an ERROR's object is a Status.
struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  nlohmann::json object;
};

// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR": as on the wire.
std::string toString(WatchEventType type);

// The watch stream was not what the API server sends: not JSON, an unknown event type, an
// event without an object, or cut off in the middle of an event.
class WatchStreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tenantshift::kube
