#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <stop_token>

#include "kube/request_options.h"
#include "kube/resource.h"
#include "kube/watch_event.h"

namespace tenantshift::kube {

using WatchHandler = std::function<void(const WatchEvent&)>;

enum class WatchEnd {
  Closed,   // the server ended the stream (its timeoutSeconds passed): resume from the last
            // resourceVersion seen
  Stopped,  // stop was requested
};

// The Kubernetes API, one operation per verb, on any resource; objects are JSON. Every method
// blocks its caller (never call one from a cpprestsdk continuation). Errors: KubeError (the
// server answered with an error status), KubeConnectionError (it could not be reached; worth
// retrying), KubeCancelled (a stop token's stop was requested), std::invalid_argument (a
// reference that cannot name anything, e.g. a namespaced object without a namespace).
// The adapter is CpprestKubeClient; tests substitute fakes here.
class KubeClient {
 public:
  virtual ~KubeClient() = default;

  // GET one object, or its subresource (ref.status()).
  virtual nlohmann::json get(const ResourceRef& ref) = 0;

  // GET a collection (collection.name empty; an empty ns of a namespaced type means all
  // namespaces): the List object, items and metadata (resourceVersion, continue).
  virtual nlohmann::json list(const ResourceRef& collection, const ListOptions& options,
                              std::stop_token stop) = 0;

  // Watches a collection from options.resourceVersion and calls onEvent for each ADDED,
  // MODIFIED, DELETED and BOOKMARK event, in order, on the calling thread, until the server
  // ends the stream (Closed) or stop is requested (Stopped, promptly, also mid-stream). An
  // ERROR event is thrown as the KubeError its Status describes (410 Gone when the
  // resourceVersion is too old); an HTTP error status likewise; a stream that breaks or is
  // malformed throws KubeConnectionError or WatchStreamError.
  virtual WatchEnd watch(const ResourceRef& collection, const WatchOptions& options,
                         const WatchHandler& onEvent, std::stop_token stop) = 0;

  // POST to a collection (target.name empty: the object's metadata names it), or to a
  // subresource of a named object (serviceaccounts/token, pods/eviction). Returns what the
  // server stored (or answered).
  virtual nlohmann::json create(const ResourceRef& target, const nlohmann::json& object,
                                const WriteOptions& options) = 0;

  // PUT the whole object (or its status, ref.status()). With metadata.resourceVersion set the
  // write is refused with 409 Conflict when the object changed since that version.
  virtual nlohmann::json update(const ResourceRef& ref, const nlohmann::json& object,
                                const WriteOptions& options) = 0;

  // PATCH the object (or its status): a merge patch, a JSON patch (its `test` operations make
  // it fail with 422 when the object is not as expected), a strategic merge patch, or a
  // server-side apply of a partial object (fieldManager required; 409 on a conflict with
  // another manager unless force).
  virtual nlohmann::json patch(const ResourceRef& ref, PatchType type, const nlohmann::json& body,
                               const PatchOptions& options) = 0;

  // DELETE the object. Returns the server's answer: a Status, or the object itself while
  // finalizers or foreground deletion keep it.
  virtual nlohmann::json remove(const ResourceRef& ref, const DeleteOptions& options) = 0;

  // The status subresource: get, update (PUT) and patch.
  nlohmann::json getStatus(const ResourceRef& ref) { return get(ref.status()); }
  nlohmann::json updateStatus(const ResourceRef& ref, const nlohmann::json& object,
                              const WriteOptions& options) {
    return update(ref.status(), object, options);
  }
  nlohmann::json patchStatus(const ResourceRef& ref, PatchType type, const nlohmann::json& body,
                             const PatchOptions& options) {
    return patch(ref.status(), type, body, options);
  }
};

}  // namespace tenantshift::kube
