#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/resource_path.h"

namespace tenantshift::kube {

// GET on a collection. limit > 0 asks for one page; the reply's metadata.continue (when not
// empty) is the continueToken of the next page.
struct ListOptions {
  std::string labelSelector;  // "app=web,tier in (a,b)"
  std::string fieldSelector;  // "metadata.name=x"
  std::int64_t limit = 0;
  std::string continueToken;
  std::string resourceVersion;       // "" = most recent (a consistent read)
  std::string resourceVersionMatch;  // "NotOlderThan" | "Exact" with resourceVersion
};

// GET ?watch=true on a collection, from resourceVersion. The server ends the stream after
// `timeout`; the client's own read timeout is set longer than that.
struct WatchOptions {
  std::string labelSelector;
  std::string fieldSelector;
  std::string resourceVersion;
  std::chrono::seconds timeout{300};
  bool allowWatchBookmarks = true;
};

// POST and PUT.
struct WriteOptions {
  std::string fieldManager;
  bool dryRun = false;
};

enum class PatchType {
  Merge,           // application/merge-patch+json (RFC 7386)
  Json,            // application/json-patch+json (RFC 6902), with `test` operations
  StrategicMerge,  // application/strategic-merge-patch+json (built-in types only)
  Apply,           // application/apply-patch+yaml: server-side apply; needs a fieldManager
};

struct PatchOptions {
  std::string fieldManager;
  bool force = false;  // server-side apply only: take over fields other managers own
  bool dryRun = false;
};

enum class PropagationPolicy { Default, Orphan, Background, Foreground };

// The delete happens only if the object still has this uid and/or resourceVersion (409
// otherwise).
struct Preconditions {
  std::string uid;
  std::string resourceVersion;
};

struct DeleteOptions {
  PropagationPolicy propagationPolicy = PropagationPolicy::Default;
  Preconditions preconditions;
  std::optional<std::int64_t> gracePeriodSeconds;
  bool dryRun = false;
};

QueryParams listQuery(const ListOptions& options);
QueryParams watchQuery(const WatchOptions& options);
QueryParams writeQuery(const WriteOptions& options);
// Throws std::invalid_argument for a server-side apply without a fieldManager, or `force` on
// another patch type (the API server would refuse both).
QueryParams patchQuery(PatchType type, const PatchOptions& options);
// The DeleteOptions object sent as the body of a DELETE (an empty object for the defaults).
nlohmann::json deleteBody(const DeleteOptions& options);
std::string contentTypeOf(PatchType type);
std::string toString(PatchType type);
std::string toString(PropagationPolicy policy);

}  // namespace tenantshift::kube
