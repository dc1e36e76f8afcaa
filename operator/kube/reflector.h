#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/backoff.h"
#include "kube/clock.h"
#include "kube/kube_client.h"
#include "kube/random_source.h"

namespace tenantshift::kube {

// What the reflector keeps in step with the API server.
struct ReflectorOptions {
  ResourceRef collection;  // type and namespace ("" = all namespaces); no name
  std::string labelSelector;
  std::string fieldSelector;
  std::int64_t pageSize = 500;  // list in pages of this many (0: one request)
  // Each watch asks the server to end it after this, jittered up to twice as long; then the
  // reflector resumes from the last resourceVersion it saw.
  std::chrono::seconds watchTimeout{300};
  BackoffPolicy backoff;
};

// Receives what the reflector learns, on the reflector's thread.
class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  // After each list (the first, and each re-list after 410 Gone or an error): every object
  // that exists now. Replace what you hold with it.
  virtual void onSynced(const std::vector<nlohmann::json>& objects,
                        const std::string& resourceVersion) = 0;
  virtual void onAdded(const nlohmann::json& object) = 0;
  virtual void onModified(const nlohmann::json& object) = 0;
  virtual void onDeleted(const nlohmann::json& object) = 0;
};

// client-go's reflector: list (in pages), then watch from the list's resourceVersion with
// bookmarks; when the server ends the watch, watch again from the last resourceVersion seen
// (an event's or a bookmark's); on 410 Gone (an HTTP status or an ERROR event) list again;
// on failures wait with jittered exponential backoff, re-watching after connection failures
// and server errors, re-listing after anything else. A watch that ends at once without an
// event counts as a failure (so a server that closes every watch is not hammered).
class Reflector {
 public:
  Reflector(KubeClient& client, ReflectorOptions options, ReflectorHandler& handler, Clock& clock,
            RandomSource& random);

  // Runs until stop is requested, then returns promptly (an ongoing list, watch or backoff
  // wait is interrupted). Errors are logged and retried; nothing is thrown.
  void run(const std::stop_token& stop);

 private:
  // Lists every page and hands the objects to the handler; returns the resourceVersion.
  std::string listAndSync(const std::stop_token& stop);
  enum class WatchOutcome { Resume, EndedAtOnce, Stopped };
  // One watch from resourceVersion_, until the server ends it or stop is requested.
  WatchOutcome watchOnce(const std::stop_token& stop);
  void handle(const WatchEvent& event);
  std::chrono::seconds jitteredWatchTimeout();

  KubeClient& client_;
  ReflectorOptions options_;
  ReflectorHandler& handler_;
  Clock& clock_;
  RandomSource& random_;
  Backoff backoff_;
  std::string resourceVersion_;
  int eventsInWatch_ = 0;
};

}  // namespace tenantshift::kube
