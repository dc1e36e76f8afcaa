#include "kube/object_cache.h"

#include "kube/resource.h"

namespace tenantshift::kube {

namespace {

std::string namespaceOf(const std::string& key) {
  const std::size_t slash = key.find('/');
  return slash == std::string::npos ? "" : key.substr(0, slash);
}

constexpr const char* kLastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

// The object as kept: without metadata.managedFields, which is about half of the JSON of an object
// that kubectl applied and a controller wrote the status of, and without kubectl's
// last-applied-configuration annotation, the whole object as last applied once more (a sixth of
// it). No reader of the cache uses either, and nothing writes a cached object back whole.
ObjectPtr kept(const nlohmann::json& object) {
  auto copy = std::make_shared<nlohmann::json>(object);
  if (const auto metadata = copy->find("metadata");
      metadata != copy->end() && metadata->is_object()) {
    metadata->erase("managedFields");
    if (const auto annotations = metadata->find("annotations");
        annotations != metadata->end() && annotations->is_object()) {
      annotations->erase(kLastAppliedAnnotation);
    }
  }
  return copy;
}

}  // namespace

std::vector<CacheChange> ObjectCache::replace(const std::vector<nlohmann::json>& objects,
                                              const std::string& resourceVersion) {
  std::map<std::string, ObjectPtr> fresh;
  for (const auto& object : objects) {
    fresh[objectKey(object)] = kept(object);
  }
  std::vector<CacheChange> changes;
  {
    std::unique_lock lock(mutex_);
    for (const auto& [key, after] : fresh) {
      const auto held = objects_.find(key);
      if (held == objects_.end()) {
        changes.push_back({CacheChange::Kind::Added, nullptr, after});
      } else if (resourceVersionOf(*held->second) != resourceVersionOf(*after)) {
        changes.push_back({CacheChange::Kind::Updated, held->second, after});
      }
    }
    for (const auto& [key, before] : objects_) {
      if (fresh.find(key) == fresh.end()) {
        changes.push_back({CacheChange::Kind::Deleted, before, nullptr});
      }
    }
    objects_ = std::move(fresh);
    listResourceVersion_ = resourceVersion;
  }
  {
    std::lock_guard lock(syncMutex_);
    synced_ = true;
  }
  syncChanged_.notify_all();
  return changes;
}

CacheChange ObjectCache::upsert(const nlohmann::json& object) {
  ObjectPtr after = kept(object);
  std::unique_lock lock(mutex_);
  ObjectPtr& slot = objects_[objectKey(object)];
  CacheChange change{slot ? CacheChange::Kind::Updated : CacheChange::Kind::Added, slot, after};
  slot = std::move(after);
  return change;
}

std::optional<CacheChange> ObjectCache::erase(const nlohmann::json& object) {
  std::unique_lock lock(mutex_);
  const auto held = objects_.find(objectKey(object));
  if (held == objects_.end()) {
    return std::nullopt;
  }
  CacheChange change{CacheChange::Kind::Deleted, held->second, nullptr};
  objects_.erase(held);
  return change;
}

ObjectPtr ObjectCache::get(const std::string& key) const {
  std::shared_lock lock(mutex_);
  const auto held = objects_.find(key);
  return held == objects_.end() ? nullptr : held->second;
}

ObjectPtr ObjectCache::get(const std::string& ns, const std::string& name) const {
  return get(objectKey(ns, name));
}

std::vector<ObjectPtr> ObjectCache::list() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> all;
  all.reserve(objects_.size());
  for (const auto& [key, object] : objects_) {
    all.push_back(object);
  }
  return all;
}

std::vector<ObjectPtr> ObjectCache::list(const std::string& ns) const {
  if (ns.empty()) {
    return list();
  }
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> inNamespace;
  for (auto it = objects_.lower_bound(ns + "/"); it != objects_.end(); ++it) {
    if (namespaceOf(it->first) != ns) {
      break;
    }
    inNamespace.push_back(it->second);
  }
  return inNamespace;
}

std::vector<std::string> ObjectCache::keys() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> all;
  all.reserve(objects_.size());
  for (const auto& [key, object] : objects_) {
    all.push_back(key);
  }
  return all;
}

std::size_t ObjectCache::size() const {
  std::shared_lock lock(mutex_);
  return objects_.size();
}

std::string ObjectCache::listResourceVersion() const {
  std::shared_lock lock(mutex_);
  return listResourceVersion_;
}

bool ObjectCache::hasSynced() const {
  std::lock_guard lock(syncMutex_);
  return synced_;
}

bool ObjectCache::waitForSync(std::chrono::milliseconds timeout, std::stop_token stop) const {
  std::unique_lock lock(syncMutex_);
  return syncChanged_.wait_for(lock, std::move(stop), timeout, [this] { return synced_; });
}

}  // namespace tenantshift::kube
