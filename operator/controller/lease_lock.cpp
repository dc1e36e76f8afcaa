#include "controller/lease_lock.h"

#include "kube/kube_error.h"
#include "kube/resource.h"

namespace tenantshift::controller {

namespace {

LeaseRecord recordOf(const nlohmann::json& lease) {
  const nlohmann::json spec = lease.value("spec", nlohmann::json::object());
  LeaseRecord record;
  record.holderIdentity = spec.value("holderIdentity", "");
  record.leaseDurationSeconds = spec.value("leaseDurationSeconds", 0);
  record.acquireTime = spec.value("acquireTime", "");
  record.renewTime = spec.value("renewTime", "");
  record.leaseTransitions = spec.value("leaseTransitions", 0);
  return record;
}

}  // namespace

LeaseLock::LeaseLock(kube::KubeClient& client, std::string ns, std::string name)
    : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}

std::optional<LeaseState> LeaseLock::get() {
  try {
    const nlohmann::json lease = client_.get({kube::resources::leases(), ns_, name_, ""});
    return LeaseState{recordOf(lease), kube::resourceVersionOf(lease)};
  } catch (const kube::KubeError& error) {
    if (error.isNotFound()) {
      return std::nullopt;
    }
    throw;
  }
}

std::optional<std::string> LeaseLock::create(const LeaseRecord& record) {
  try {
    return kube::resourceVersionOf(
        client_.create({kube::resources::leases(), ns_, "", ""}, object(record, ""), {}));
  } catch (const kube::KubeError& error) {
    if (error.isConflict()) {
      return std::nullopt;
    }
    throw;
  }
}

std::optional<std::string> LeaseLock::update(const LeaseRecord& record,
                                             const std::string& resourceVersion) {
  try {
    return kube::resourceVersionOf(client_.update({kube::resources::leases(), ns_, name_, ""},
                                                  object(record, resourceVersion), {}));
  } catch (const kube::KubeError& error) {
    if (error.isConflict()) {
      return std::nullopt;
    }
    throw;
  }
}

std::string LeaseLock::describe() const {
  return "leases " + ns_ + "/" + name_;
}

nlohmann::json LeaseLock::object(const LeaseRecord& record,
                                 const std::string& resourceVersion) const {
  nlohmann::json spec = {{"holderIdentity", record.holderIdentity},
                         {"leaseDurationSeconds", record.leaseDurationSeconds},
                         {"leaseTransitions", record.leaseTransitions}};
  // MicroTime fields may not be empty strings: absent instead.
  if (!record.acquireTime.empty()) {
    spec["acquireTime"] = record.acquireTime;
  }
  if (!record.renewTime.empty()) {
    spec["renewTime"] = record.renewTime;
  }
  nlohmann::json metadata = {{"name", name_}, {"namespace", ns_}};
  if (!resourceVersion.empty()) {
    metadata["resourceVersion"] = resourceVersion;
  }
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", metadata},
          {"spec", spec}};
}

}  // namespace tenantshift::controller
