#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "kube/kube_client.h"

namespace tenantshift::kube {

// Read-modify-write with optimistic concurrency: GET ref, let `mutate` change the object, PUT
// it with the resourceVersion read; on 409 Conflict (someone wrote in between) GET again and
// mutate the fresh copy, at most maxAttempts times in all. Returns the object as stored, or as
// read when mutate changed nothing (then nothing is written). ref may be ref.status() to
// update the status subresource. The last 409, and every other error, is thrown.
nlohmann::json updateWithRetry(KubeClient& client, const ResourceRef& ref,
                               const std::function<void(nlohmann::json&)>& mutate,
                               const WriteOptions& options = {}, int maxAttempts = 5);

}  // namespace tenantshift::kube
