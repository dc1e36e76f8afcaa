#include "kube/request_options.h"

#include <stdexcept>

namespace tenantshift::kube {

QueryParams listQuery(const ListOptions& options) {
  QueryParams query;
  query.addIfSet("labelSelector", options.labelSelector)
      .addIfSet("fieldSelector", options.fieldSelector);
  if (options.limit > 0) {
    query.add("limit", std::to_string(options.limit));
  }
  query.addIfSet("continue", options.continueToken)
      .addIfSet("resourceVersion", options.resourceVersion)
      .addIfSet("resourceVersionMatch", options.resourceVersionMatch);
  return query;
}

QueryParams watchQuery(const WatchOptions& options) {
  if (options.timeout.count() <= 0) {
    throw std::invalid_argument("a watch needs a positive timeout (timeoutSeconds)");
  }
  QueryParams query;
  query.add("watch", "true")
      .addIfSet("labelSelector", options.labelSelector)
      .addIfSet("fieldSelector", options.fieldSelector)
      .addIfSet("resourceVersion", options.resourceVersion);
  if (options.allowWatchBookmarks) {
    query.add("allowWatchBookmarks", "true");
  }
  query.add("timeoutSeconds", std::to_string(options.timeout.count()));
  return query;
}

QueryParams writeQuery(const WriteOptions& options) {
  QueryParams query;
  query.addIfSet("fieldManager", options.fieldManager);
  if (options.dryRun) {
    query.add("dryRun", "All");
  }
  return query;
}

QueryParams patchQuery(PatchType type, const PatchOptions& options) {
  if (type == PatchType::Apply && options.fieldManager.empty()) {
    throw std::invalid_argument("server-side apply needs a fieldManager");
  }
  if (type != PatchType::Apply && options.force) {
    throw std::invalid_argument("force is only for server-side apply, not a " + toString(type) +
                                " patch");
  }
  QueryParams query;
  query.addIfSet("fieldManager", options.fieldManager);
  if (options.force) {
    query.add("force", "true");
  }
  if (options.dryRun) {
    query.add("dryRun", "All");
  }
  return query;
}

nlohmann::json deleteBody(const DeleteOptions& options) {
  nlohmann::json body = nlohmann::json::object();
  if (options.propagationPolicy != PropagationPolicy::Default) {
    body["propagationPolicy"] = toString(options.propagationPolicy);
  }
  if (!options.preconditions.uid.empty()) {
    body["preconditions"]["uid"] = options.preconditions.uid;
  }
  if (!options.preconditions.resourceVersion.empty()) {
    body["preconditions"]["resourceVersion"] = options.preconditions.resourceVersion;
  }
  if (options.gracePeriodSeconds) {
    body["gracePeriodSeconds"] = *options.gracePeriodSeconds;
  }
  if (options.dryRun) {
    body["dryRun"] = nlohmann::json::array({"All"});
  }
  if (!body.empty()) {
    body["kind"] = "DeleteOptions";
    body["apiVersion"] = "v1";
  }
  return body;
}

std::string contentTypeOf(PatchType type) {
  switch (type) {
    case PatchType::Merge:
      return "application/merge-patch+json";
    case PatchType::Json:
      return "application/json-patch+json";
    case PatchType::StrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::Apply:
      return "application/apply-patch+yaml";
  }
  throw std::logic_error("unknown patch type");
}

std::string toString(PatchType type) {
  switch (type) {
    case PatchType::Merge:
      return "merge";
    case PatchType::Json:
      return "JSON";
    case PatchType::StrategicMerge:
      return "strategic merge";
    case PatchType::Apply:
      return "server-side apply";
  }
  throw std::logic_error("unknown patch type");
}

std::string toString(PropagationPolicy policy) {
  switch (policy) {
    case PropagationPolicy::Default:
      return "";
    case PropagationPolicy::Orphan:
      return "Orphan";
    case PropagationPolicy::Background:
      return "Background";
    case PropagationPolicy::Foreground:
      return "Foreground";
  }
  throw std::logic_error("unknown propagation policy");
}

}  // namespace tenantshift::kube
