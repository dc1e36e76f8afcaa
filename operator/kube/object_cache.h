#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <vector>

namespace tenantshift::kube {

// An object as cached: shared, never changed once stored (a new version is a new object).
using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// What one change did to the cache.
struct CacheChange {
  enum class Kind { Added, Updated, Deleted };
  Kind kind = Kind::Added;
  ObjectPtr before;  // null for Added
  ObjectPtr after;   // null for Deleted
};

// The objects of one resource as last seen, keyed by "namespace/name" ("name" when
// cluster-scoped): what the informer keeps and the controller reads. Objects are kept without
// metadata.managedFields (the API server's record of which manager set which field) and without
// the kubectl.kubernetes.io/last-applied-configuration annotation (kubectl's copy of the object as
// last applied): nothing here reads them, they are more than half of an applied object, and no
// cached object is written back whole (a PUT of one would delete the annotation). Thread-safe:
// any number of readers while the reflector's thread writes.
class ObjectCache {
 public:
  // Everything becomes `objects` (a full list); returns the differences from what was held:
  // new keys Added, keys whose resourceVersion changed Updated, missing keys Deleted. Marks
  // the cache synced.
  std::vector<CacheChange> replace(const std::vector<nlohmann::json>& objects,
                                   const std::string& resourceVersion);
  // An object was added or modified.
  CacheChange upsert(const nlohmann::json& object);
  // An object was deleted: nullopt when it was not held.
  std::optional<CacheChange> erase(const nlohmann::json& object);

  ObjectPtr get(const std::string& key) const;
  ObjectPtr get(const std::string& ns, const std::string& name) const;
  // All objects, by key.
  std::vector<ObjectPtr> list() const;
  // The objects of one namespace, by name (all objects when ns is empty).
  std::vector<ObjectPtr> list(const std::string& ns) const;
  std::vector<std::string> keys() const;
  std::size_t size() const;
  // The resourceVersion of the last list.
  std::string listResourceVersion() const;

  // True once the first list has been stored.
  bool hasSynced() const;
  // Waits until synced, at most `timeout`, or until stop is requested; returns hasSynced().
  bool waitForSync(std::chrono::milliseconds timeout, std::stop_token stop = {}) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, ObjectPtr> objects_;  // guarded by mutex_
  std::string listResourceVersion_;           // guarded by mutex_

  mutable std::mutex syncMutex_;
  mutable std::condition_variable_any syncChanged_;
  bool synced_ = false;  // guarded by syncMutex_
};

}  // namespace tenantshift::kube
