#pragma once

// Fakes at the kube client's seams (KubeClient, Clock, RandomSource) for the reflector, informer
// and retry tests: scripted, single-threaded unless a test says otherwise, never sleeping.

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

// A KubeClient whose list and watch replies are scripted, and whose objects (for get/update)
// live in a map with resourceVersions the fake assigns. When a script runs out it requests stop
// on `stopper`, so that a reflector under test returns.
class FakeKubeClient final : public KubeClient {
 public:
  FakeKubeClient(FakeClock& clock, std::stop_source& stopper) : clock_(clock), stopper_(stopper) {}

  std::deque<std::function<nlohmann::json(const ListOptions&)>> lists;
  std::deque<WatchScript> watches;
  std::vector<ListOptions> listCalls;
  std::vector<WatchOptions> watchCalls;

  // Objects by key, for get and update; `beforeUpdate` runs first in each update (a concurrent
  // writer).
  std::map<std::string, nlohmann::json> objects;
  std::function<void(int updateCall)> beforeUpdate;
  int getCalls = 0;
  int updateCalls = 0;

  void put(nlohmann::json object) {
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    const std::string key = objectKey(object);
    objects[key] = std::move(object);
  }

  nlohmann::json get(const ResourceRef& ref) override {
    ++getCalls;
    const auto found = objects.find(ref.key());
    if (found == objects.end()) {
      throw KubeError("GET", ref.key(), 404, "NotFound", "not found");
    }
    return found->second;
  }

  nlohmann::json list(const ResourceRef&, const ListOptions& options, std::stop_token) override {
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

  nlohmann::json create(const ResourceRef&, const nlohmann::json& object,
                        const WriteOptions&) override {
    put(object);
    return objects[objectKey(object)];
  }

  nlohmann::json update(const ResourceRef& ref, const nlohmann::json& object,
                        const WriteOptions&) override {
    ++updateCalls;
    if (beforeUpdate) {
      beforeUpdate(updateCalls);
    }
    const auto found = objects.find(ref.key());
    if (found == objects.end()) {
      throw KubeError("PUT", ref.key(), 404, "NotFound", "not found");
    }
    if (resourceVersionOf(object) != resourceVersionOf(found->second)) {
      throw KubeError("PUT", ref.key(), 409, "Conflict",
                      "Operation cannot be fulfilled: the object has been modified");
    }
    put(object);
    return objects[ref.key()];
  }

  nlohmann::json patch(const ResourceRef& ref, PatchType, const nlohmann::json&,
                       const PatchOptions&) override {
    throw KubeError("PATCH", ref.key(), 405, "MethodNotAllowed", "the fake does not patch");
  }

  nlohmann::json remove(const ResourceRef& ref, const DeleteOptions&) override {
    objects.erase(ref.key());
    return {{"kind", "Status"}, {"status", "Success"}};
  }

 private:
  FakeClock& clock_;
  std::stop_source& stopper_;
  int version_ = 100;
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
