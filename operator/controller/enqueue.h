#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/work_queue.h"
#include "kube/informer.h"
#include "kube/object_cache.h"

namespace tenantshift::controller {

// The keys of the TenantMigrations in `migrations` (in namespace ns) whose spec.dependsOn names
// `name`: a change of that migration may let them start.
std::vector<std::string> dependentsOf(const kube::ObjectCache& migrations, const std::string& ns,
                                      const std::string& name);

// An informer listener that queues, on every change of an object, the keys keysFor names (of the
// object after the change; of the object as it was, for a delete).
class EnqueueOnChange : public kube::InformerListener {
 public:
  explicit EnqueueOnChange(WorkQueue& queue) : queue_(queue) {}
  void onAdd(const nlohmann::json& object) override { enqueue(object); }
  void onUpdate(const nlohmann::json&, const nlohmann::json& after) override { enqueue(after); }
  void onDelete(const nlohmann::json& object) override { enqueue(object); }

 protected:
  virtual std::vector<std::string> keysFor(const nlohmann::json& object) const = 0;

 private:
  void enqueue(const nlohmann::json& object);
  WorkQueue& queue_;
};

// TenantMigration informer: queues the migration that changed, and every migration of its
// namespace that depends on it.
class EnqueueMigration final : public EnqueueOnChange {
 public:
  using EnqueueOnChange::EnqueueOnChange;
  // The informer's own cache (it has the change when the listener is told); bound before the
  // informer starts. Unbound, only the migration itself is queued.
  void bind(const kube::ObjectCache& migrations) { migrations_ = &migrations; }

 private:
  std::vector<std::string> keysFor(const nlohmann::json& object) const override;
  const kube::ObjectCache* migrations_ = nullptr;
};

// Informers of what the operator owns (Jobs, their pods, manifest ConfigMaps): queues the
// TenantMigration named by the object's tenantshift.dev/migration label.
class EnqueueOwner final : public EnqueueOnChange {
 public:
  using EnqueueOnChange::EnqueueOnChange;

 private:
  std::vector<std::string> keysFor(const nlohmann::json& object) const override;
};

}  // namespace tenantshift::controller
