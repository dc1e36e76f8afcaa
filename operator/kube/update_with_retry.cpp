#include "kube/update_with_retry.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "kube/kube_error.h"

namespace tenantshift::kube {

nlohmann::json updateWithRetry(KubeClient& client, const ResourceRef& ref,
                               const std::function<void(nlohmann::json&)>& mutate,
                               const WriteOptions& options, int maxAttempts) {
  if (maxAttempts < 1) {
    throw std::invalid_argument("updateWithRetry needs at least one attempt");
  }
  for (int attempt = 1;; ++attempt) {
    nlohmann::json current = client.get(ref);
    nlohmann::json changed = current;
    mutate(changed);
    if (changed == current) {
      return current;
    }
    // Keep the write conditional on the version that was read, whatever mutate did.
    changed["metadata"]["resourceVersion"] = resourceVersionOf(current);
    try {
      return client.update(ref, changed, options);
    } catch (const KubeError& error) {
      if (!error.isConflict() || error.isAlreadyExists() || attempt >= maxAttempts) {
        throw;
      }
      spdlog::debug("kube update conflict, reading again object=\"{}\" attempt={}",
                    ref.displayName(), attempt);
    }
  }
}

}  // namespace tenantshift::kube
