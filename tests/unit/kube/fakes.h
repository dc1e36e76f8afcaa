#pragma once

// Fakes at the kube client's seams (KubeClient, Clock, RandomSource) for the reflector, informer
// and retry tests: scripted, single-threaded unless a test says otherwise, never sleeping.

#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/clock.h"
#include "kube/kube_client.h"
#include "kube/kube_error.h"
#include "kube/random_source.h"

namespace tenantshift::kube::testing {

// Time moves only when slept on or advanced.
class FakeClock final : public Clock {
 public:
  TimePoint now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) override {
    std::lock_guard lock(mutex_);
    sleeps.push_back(duration);
    now_ += duration;
    return !stop.stop_requested();
  }
  void advance(std::chrono::milliseconds duration) {
    std::lock_guard lock(mutex_);
    now_ += duration;
  }
  std::vector<std::chrono::milliseconds> sleeps;

 private:
  mutable std::mutex mutex_;
  TimePoint now_{std::chrono::hours(1000)};
};

// Returns `value` every time.
class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(double fixed) : value(fixed) {}
  double uniform() override { return value; }
  double value;
};

inline nlohmann::json configMap(const std::string& ns, const std::string& name,
                                const std::string& resourceVersion,
                                nlohmann::json data = nlohmann::json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", resourceVersion}}},
          {"data", std::move(data)}};
}

inline nlohmann::json listOf(std::vector<nlohmann::json> items, const std::string& resourceVersion,
                             const std::string& continueToken = "") {
  nlohmann::json list = {{"apiVersion", "v1"},
                         {"kind", "ConfigMapList"},
                         {"metadata", {{"resourceVersion", resourceVersion}}},
                         {"items", std::move(items)}};
  if (!continueToken.empty()) {
    list["metadata"]["continue"] = continueToken;
  }
  return list;
}

inline KubeError gone(const std::string& verb = "GET") {
  return KubeError(verb, "/api/v1/configmaps", 410, "Expired", "too old resource version: 1 (2)");
}

// One scripted watch: the events it delivers, how long it lasts on the fake clock, and how it
// ends (`end` may throw, e.g. a KubeError for an ERROR event; empty: the server closes it).
struct WatchScript {
  std::vector<WatchEvent> events;
  std::chrono::milliseconds duration{std::chrono::minutes(5)};
  std::function<void()> end;
};

// A watch that delivers `events` and is then closed by the server, after five minutes.
inline WatchScript closesAfter(std::vector<WatchEvent> events) {
  WatchScript script;
  script.events = std::move(events);
  return script;
}

// A KubeClient whose list and watch replies are scripted, and whose objects (for get, create,
// update, patch and remove) live in a map with resourceVersions the fake assigns, keyed by
// resource and "namespace/name". When a script runs out it requests stop on `stopper`, so that a
// reflector under test returns. `calls` records every request ("get leases ns/name",
// "patch tenantmigrations ns/name/status", ...); `beforeCall` runs first in each (it may throw:
// an unreachable API server, a refusal).
class FakeKubeClient final : public KubeClient {
 public:
  FakeKubeClient(FakeClock& clock, std::stop_source& stopper) : clock_(clock), stopper_(stopper) {}

  std::deque<std::function<nlohmann::json(const ListOptions&)>> lists;
  std::deque<WatchScript> watches;
  std::vector<ListOptions> listCalls;
  std::vector<WatchOptions> watchCalls;

  // Objects by objectStoreKey; `beforeUpdate` runs first in each update (a concurrent writer).
  std::map<std::string, nlohmann::json> objects;
  std::function<void(int updateCall)> beforeUpdate;
  std::function<void(const std::string& verb, const ResourceRef& ref)> beforeCall;
  std::vector<std::string> calls;
  std::vector<DeleteOptions> deletes;
  int getCalls = 0;
  int updateCalls = 0;

  // "configmaps/ns/name": the resource (the plural of the object's kind) and its key.
  static std::string objectStoreKey(const std::string& resource, const std::string& key) {
    return resource + "/" + key;
  }
  static std::string resourceOfKind(const std::string& kind) {
    std::string resource;
    for (char c : kind) {
      resource += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return resource + "s";
  }
  static std::string storeKeyOf(const nlohmann::json& object) {
    return objectStoreKey(resourceOfKind(object.value("kind", "")), objectKey(object));
  }

  // Stores `object` as is (its kind names the resource), with a new resourceVersion.
  void put(nlohmann::json object) {
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    const std::string key = storeKeyOf(object);
    objects[key] = std::move(object);
  }
  // The stored object (throws std::out_of_range when there is none).
  nlohmann::json& stored(const ResourceType& type, const std::string& ns, const std::string& name) {
    return objects.at(objectStoreKey(type.resource, objectKey(ns, name)));
  }
  bool has(const ResourceType& type, const std::string& ns, const std::string& name) const {
    return objects.contains(objectStoreKey(type.resource, objectKey(ns, name)));
  }
  // The calls whose text starts with `prefix` ("create jobs", "get secrets").
  int callsStartingWith(const std::string& prefix) const {
    int count = 0;
    for (const auto& call : calls) {
      count += call.rfind(prefix, 0) == 0 ? 1 : 0;
    }
    return count;
  }

  nlohmann::json get(const ResourceRef& ref) override {
    record("get", ref);
    ++getCalls;
    const auto found = objects.find(storeKey(ref));
    if (found == objects.end()) {
      throw KubeError("GET", ref.key(), 404, "NotFound", "not found");
    }
    return ref.subresource.empty()
               ? found->second
               : nlohmann::json{{"status", found->second.value("status", nlohmann::json())}};
  }

  nlohmann::json list(const ResourceRef& ref, const ListOptions& options,
                      std::stop_token) override {
    record("list", ref);
    listCalls.push_back(options);
    if (lists.empty()) {
      stopper_.request_stop();
      throw KubeCancelled("GET", "list");
    }
    auto reply = std::move(lists.front());
    lists.pop_front();
    return reply(options);
  }

  WatchEnd watch(const ResourceRef&, const WatchOptions& options, const WatchHandler& onEvent,
                 std::stop_token stop) override {
    watchCalls.push_back(options);
    if (watches.empty()) {
      stopper_.request_stop();
      return WatchEnd::Stopped;
    }
    WatchScript script = std::move(watches.front());
    watches.pop_front();
    for (const auto& event : script.events) {
      onEvent(event);
    }
    clock_.advance(script.duration);
    if (script.end) {
      script.end();
    }
    return stop.stop_requested() ? WatchEnd::Stopped : WatchEnd::Closed;
  }

  nlohmann::json create(const ResourceRef& ref, const nlohmann::json& object,
                        const WriteOptions&) override {
    nlohmann::json created = object;
    auto& metadata = created["metadata"];
    if (!metadata.contains("name") && metadata.contains("generateName")) {
      metadata["name"] = metadata["generateName"].get<std::string>() + std::to_string(++generated_);
    }
    if (!metadata.contains("namespace") && !ref.ns.empty()) {
      metadata["namespace"] = ref.ns;
    }
    const ResourceRef target{ref.type, metadata.value("namespace", ""), metadata.value("name", ""),
                             ""};
    record("create", target);
    const std::string key = storeKey(target);
    if (objects.contains(key)) {
      throw KubeError("POST", target.key(), 409, "AlreadyExists", target.key() + " already exists");
    }
    metadata["uid"] = metadata.value("uid", "uid-" + std::to_string(++generated_));
    created["metadata"]["resourceVersion"] = std::to_string(++version_);
    objects[key] = created;
    return created;
  }

  nlohmann::json update(const ResourceRef& ref, const nlohmann::json& object,
                        const WriteOptions&) override {
    record("update", ref);
    ++updateCalls;
    if (beforeUpdate) {
      beforeUpdate(updateCalls);
    }
    const auto found = objects.find(storeKey(ref));
    if (found == objects.end()) {
      throw KubeError("PUT", ref.key(), 404, "NotFound", "not found");
    }
    if (resourceVersionOf(object) != resourceVersionOf(found->second)) {
      throw KubeError("PUT", ref.key(), 409, "Conflict",
                      "Operation cannot be fulfilled: the object has been modified");
    }
    nlohmann::json updated = object;
    if (!ref.subresource.empty()) {
      updated = found->second;
      updated["status"] = object.value("status", nlohmann::json());
    }
    updated["metadata"]["resourceVersion"] = std::to_string(++version_);
    found->second = updated;
    return updated;
  }

  // Merge patches (of the object, or of its status) and JSON patches with their test operations
  // (a failed test is 422, as the API server answers).
  nlohmann::json patch(const ResourceRef& ref, PatchType type, const nlohmann::json& body,
                       const PatchOptions&) override {
    record("patch", ref);
    const auto found = objects.find(storeKey(ref));
    if (found == objects.end()) {
      throw KubeError("PATCH", ref.key(), 404, "NotFound", "not found");
    }
    nlohmann::json patched = found->second;
    if (type == PatchType::Merge) {
      nlohmann::json change = body;
      if (!ref.subresource.empty()) {
        change = {{"status", body.value("status", nlohmann::json())}};
      }
      patched.merge_patch(change);
    } else if (type == PatchType::Json) {
      try {
        patched = patched.patch(body);
      } catch (const nlohmann::json::exception& error) {
        throw KubeError("PATCH", ref.key(), 422, "Invalid", error.what());
      }
    } else {
      throw KubeError("PATCH", ref.key(), 415, "UnsupportedMediaType", "the fake merges only");
    }
    if (patched != found->second) {
      patched["metadata"]["resourceVersion"] = std::to_string(++version_);
    }
    found->second = patched;
    return patched;
  }

  nlohmann::json remove(const ResourceRef& ref, const DeleteOptions& options) override {
    record("delete", ref);
    deletes.push_back(options);
    if (objects.erase(storeKey(ref)) == 0) {
      throw KubeError("DELETE", ref.key(), 404, "NotFound", "not found");
    }
    return {{"kind", "Status"}, {"status", "Success"}};
  }

 private:
  static std::string storeKey(const ResourceRef& ref) {
    return objectStoreKey(ref.type.resource, ref.key());
  }
  void record(const std::string& verb, const ResourceRef& ref) {
    calls.push_back(verb + " " + ref.type.resource + " " + ref.key() +
                    (ref.subresource.empty() ? "" : "/" + ref.subresource));
    if (beforeCall) {
      beforeCall(verb, ref);
    }
  }

  FakeClock& clock_;
  std::stop_source& stopper_;
  int version_ = 100;
  int generated_ = 0;
};

inline WatchEvent event(WatchEventType type, nlohmann::json object) {
  return WatchEvent{type, std::move(object)};
}

inline WatchEvent bookmark(const std::string& resourceVersion) {
  return WatchEvent{WatchEventType::Bookmark,
                    {{"kind", "ConfigMap"},
                     {"apiVersion", "v1"},
                     {"metadata", {{"resourceVersion", resourceVersion}}}}};
}

}  // namespace tenantshift::kube::testing
