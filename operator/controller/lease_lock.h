#pragma once

#include <optional>
#include <string>

#include "controller/leader_election.h"
#include "kube/kube_client.h"

namespace tenantshift::controller {

// A Lease as read: its record, and the resourceVersion an update must name.
struct LeaseState {
  LeaseRecord record;
  std::string resourceVersion;
};

// The coordination.k8s.io/v1 Lease the operator's replicas elect their leader with. Writes are
// optimistic: an update names the resourceVersion it read, so that of two candidates racing for
// the Lease exactly one wins and the other gets 409 Conflict.
class LeaseLock {
 public:
  LeaseLock(kube::KubeClient& client, std::string ns, std::string name);

  // The Lease, or nullopt when there is none. Throws KubeError and KubeConnectionError.
  std::optional<LeaseState> get();
  // Creates the Lease with `record`: its resourceVersion, or nullopt when another candidate
  // created it first.
  std::optional<std::string> create(const LeaseRecord& record);
  // Writes `record` if the Lease is still at `resourceVersion`: the new resourceVersion, or
  // nullopt when someone wrote it meanwhile (409 Conflict: a lost race).
  std::optional<std::string> update(const LeaseRecord& record, const std::string& resourceVersion);

  // "leases NAMESPACE/NAME", for logs.
  std::string describe() const;

 private:
  nlohmann::json object(const LeaseRecord& record, const std::string& resourceVersion) const;

  kube::KubeClient& client_;
  std::string ns_;
  std::string name_;
};

}  // namespace tenantshift::controller
