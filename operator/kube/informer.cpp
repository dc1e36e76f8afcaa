#include "kube/informer.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace tenantshift::kube {

Informer::Informer(KubeClient& client, ReflectorOptions options, Clock& clock, RandomSource& random,
                   InformerListener* listener)
    : reflector_(client, std::move(options), *this, clock, random), listener_(listener) {}

Informer::~Informer() {
  stop();
}

void Informer::start() {
  if (started_) {
    throw std::logic_error("informer started twice");
  }
  started_ = true;
  thread_ = std::jthread([this](const std::stop_token& stop) { reflector_.run(stop); });
}

void Informer::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
  return cache_.waitForSync(timeout, thread_.get_stop_token());
}

void Informer::onSynced(const std::vector<nlohmann::json>& objects,
                        const std::string& resourceVersion) {
  for (const CacheChange& change : cache_.replace(objects, resourceVersion)) {
    notify(change);
  }
}

void Informer::onAdded(const nlohmann::json& object) {
  notify(cache_.upsert(object));
}

void Informer::onModified(const nlohmann::json& object) {
  notify(cache_.upsert(object));
}

void Informer::onDeleted(const nlohmann::json& object) {
  if (const auto change = cache_.erase(object)) {
    notify(*change);
  }
}

void Informer::notify(const CacheChange& change) {
  if (listener_ == nullptr) {
    return;
  }
  switch (change.kind) {
    case CacheChange::Kind::Added:
      listener_->onAdd(*change.after);
      break;
    case CacheChange::Kind::Updated:
      listener_->onUpdate(*change.before, *change.after);
      break;
    case CacheChange::Kind::Deleted:
      listener_->onDelete(*change.before);
      break;
  }
}

}  // namespace tenantshift::kube
