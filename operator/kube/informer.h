#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "kube/object_cache.h"
#include "kube/reflector.h"

namespace tenantshift::kube {

// Told about each change of an informer's cache, on the informer's thread, after the cache has
// it (so that reading the cache from here sees the change). A re-list reports the differences
// it found as adds, updates and deletes.
class InformerListener {
 public:
  virtual ~InformerListener() = default;
  virtual void onAdd(const nlohmann::json& object) = 0;
  virtual void onUpdate(const nlohmann::json& before, const nlohmann::json& after) = 0;
  virtual void onDelete(const nlohmann::json& object) = 0;
};

// A reflector feeding an ObjectCache on a thread of its own: the cache the controller reads.
// stop() (and the destructor) end the thread promptly, also in the middle of a watch.
class Informer final : private ReflectorHandler {
 public:
  // client, clock, random and listener (may be null) must outlive the informer.
  Informer(KubeClient& client, ReflectorOptions options, Clock& clock, RandomSource& random,
           InformerListener* listener = nullptr);
  ~Informer() override;
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Starts the thread; an informer runs once (throws std::logic_error when started again).
  void start();
  // Stops and joins the thread; the cache keeps what it had.
  void stop();

  const ObjectCache& cache() const { return cache_; }
  // Waits for the first list to be in the cache, at most `timeout` (less if stopped).
  bool waitForSync(std::chrono::milliseconds timeout) const;

 private:
  void onSynced(const std::vector<nlohmann::json>& objects,
                const std::string& resourceVersion) override;
  void onAdded(const nlohmann::json& object) override;
  void onModified(const nlohmann::json& object) override;
  void onDeleted(const nlohmann::json& object) override;
  void notify(const CacheChange& change);

  ObjectCache cache_;
  Reflector reflector_;
  InformerListener* listener_;
  bool started_ = false;
  std::jthread thread_;
};

}  // namespace tenantshift::kube
