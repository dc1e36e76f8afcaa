#pragma once

#include <nlohmann/json.hpp>
#include <string>

// The health GitOps tools read from an object's status, computed by the tools of
// tests/e2e/tools as those tools compute it.
namespace tenantshift::e2e {

struct Health {
  std::string status;
  std::string message;
};

// What Flux reads: kstatus (sigs.k8s.io/cli-utils): Current, InProgress, Failed, Terminating, ...
// `object` as `kubectl get -o json` prints it; throws when kstatus refuses it.
Health kstatus(const nlohmann::json& object);

// What Argo CD reads with the chart's health check (charts/tenantshift/argocd-health.lua) in
// argocd-cm: Healthy, Progressing, Degraded, Suspended, ...; throws when the script fails.
Health argoCdHealth(const nlohmann::json& object);

}  // namespace tenantshift::e2e
