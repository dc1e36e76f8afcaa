#include "controller/enqueue.h"

#include "controller/phase_job.h"
#include "kube/resource.h"

namespace tenantshift::controller {

namespace {

bool dependsOn(const nlohmann::json& migration, const std::string& name) {
  const nlohmann::json spec = migration.value("spec", nlohmann::json::object());
  const auto depends = spec.find("dependsOn");
  if (depends == spec.end() || !depends->is_array()) {
    return false;
  }
  for (const auto& dependency : *depends) {
    if (dependency.is_object() && dependency.value("name", "") == name) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> dependentsOf(const kube::ObjectCache& migrations, const std::string& ns,
                                      const std::string& name) {
  std::vector<std::string> keys;
  if (ns.empty()) {
    return keys;
  }
  for (const kube::ObjectPtr& migration : migrations.list(ns)) {
    if (dependsOn(*migration, name)) {
      keys.push_back(kube::objectKey(*migration));
    }
  }
  return keys;
}

void EnqueueOnChange::enqueue(const nlohmann::json& object) {
  for (const std::string& key : keysFor(object)) {
    queue_.add(key);
  }
}

std::vector<std::string> EnqueueMigration::keysFor(const nlohmann::json& object) const {
  std::vector<std::string> keys = {kube::objectKey(object)};
  if (migrations_ == nullptr) {
    return keys;
  }
  const nlohmann::json metadata = object.value("metadata", nlohmann::json::object());
  for (std::string& key :
       dependentsOf(*migrations_, metadata.value("namespace", ""), metadata.value("name", ""))) {
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<std::string> EnqueueOwner::keysFor(const nlohmann::json& object) const {
  const nlohmann::json metadata = object.value("metadata", nlohmann::json::object());
  const nlohmann::json labels = metadata.value("labels", nlohmann::json::object());
  if (const auto it = labels.find(kMigrationLabel); it != labels.end() && it->is_string()) {
    return {kube::objectKey(metadata.value("namespace", ""), it->get<std::string>())};
  }
  return {};
}

}  // namespace tenantshift::controller
