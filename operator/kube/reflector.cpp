#include "kube/reflector.h"

#include <spdlog/spdlog.h>

#include "kube/kube_error.h"

namespace tenantshift::kube {

namespace {

// A watch that ends sooner than this without an event is treated as a failure.
constexpr std::chrono::seconds kShortestHealthyWatch{1};

// List items carry no kind or apiVersion; watch events do. Give every cached object both.
void completeTypeMeta(nlohmann::json& item, const std::string& apiVersion,
                      const std::string& kind) {
  if (!item.is_object()) {
    return;
  }
  if (!item.contains("apiVersion")) {
    item["apiVersion"] = apiVersion;
  }
  if (!kind.empty() && !item.contains("kind")) {
    item["kind"] = kind;
  }
}

std::string itemKind(const nlohmann::json& list) {
  const auto kind = list.find("kind");
  if (kind == list.end() || !kind->is_string()) {
    return {};
  }
  const std::string listKind = kind->get<std::string>();
  const std::string suffix = "List";
  if (listKind.size() > suffix.size() &&
      listKind.compare(listKind.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return listKind.substr(0, listKind.size() - suffix.size());
  }
  return {};
}

std::string listMetadata(const nlohmann::json& list, const char* field) {
  const auto metadata = list.find("metadata");
  if (metadata == list.end() || !metadata->is_object()) {
    return {};
  }
  const auto value = metadata->find(field);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : "";
}

}  // namespace

Reflector::Reflector(KubeClient& client, ReflectorOptions options, ReflectorHandler& handler,
                     Clock& clock, RandomSource& random)
    : client_(client),
      options_(std::move(options)),
      handler_(handler),
      clock_(clock),
      random_(random),
      backoff_(options_.backoff, random) {}

void Reflector::run(const std::stop_token& stop) {
  const std::string resource = options_.collection.displayName();
  bool needList = true;
  while (!stop.stop_requested()) {
    try {
      if (needList) {
        resourceVersion_ = listAndSync(stop);
        needList = false;
        spdlog::debug("kube reflector listed resource=\"{}\" resource_version={}", resource,
                      resourceVersion_);
      }
      const WatchOutcome outcome = watchOnce(stop);
      if (outcome == WatchOutcome::Stopped) {
        return;
      }
      if (outcome == WatchOutcome::Resume) {
        continue;  // the server ended the watch: resume from resourceVersion_
      }
      spdlog::warn(
          "kube reflector watch ended at once without an event, backing off "
          "resource=\"{}\" resource_version={}",
          resource, resourceVersion_);
    } catch (const KubeCancelled&) {
      if (stop.stop_requested()) {
        return;
      }
      needList = true;
    } catch (const KubeError& error) {
      if (error.isGone()) {
        spdlog::info(
            "kube reflector resourceVersion expired, listing again resource=\"{}\" "
            "resource_version={} error=\"{}\"",
            resource, resourceVersion_, error.serverMessage());
        needList = true;
      } else if (error.isRetryable()) {
        spdlog::warn("kube reflector API server error, retrying resource=\"{}\" error=\"{}\"",
                     resource, error.what());
      } else {
        spdlog::warn("kube reflector request refused, listing again resource=\"{}\" error=\"{}\"",
                     resource, error.what());
        needList = true;
      }
    } catch (const KubeConnectionError& error) {
      spdlog::warn(
          "kube reflector cannot reach the API server, retrying resource=\"{}\" "
          "error=\"{}\"",
          resource, error.what());
    } catch (const std::exception& error) {
      spdlog::error("kube reflector failed, listing again resource=\"{}\" error=\"{}\"", resource,
                    error.what());
      needList = true;
    }
    const std::chrono::milliseconds wait = backoff_.next(clock_.now());
    spdlog::debug("kube reflector backing off resource=\"{}\" wait_ms={}", resource, wait.count());
    if (!clock_.sleepFor(wait, stop)) {
      return;
    }
  }
}

std::string Reflector::listAndSync(const std::stop_token& stop) {
  std::vector<nlohmann::json> objects;
  ListOptions list{options_.labelSelector, options_.fieldSelector, options_.pageSize, "", "", ""};
  std::string resourceVersion;
  for (;;) {
    nlohmann::json page;
    try {
      page = client_.list(options_.collection, list, stop);
    } catch (const KubeError& error) {
      if (!error.isGone() || list.continueToken.empty()) {
        throw;
      }
      // The continue token expired while paging: list everything in one request instead.
      spdlog::info(
          "kube reflector list continue token expired, listing in one request "
          "resource=\"{}\"",
          options_.collection.displayName());
      objects.clear();
      list.limit = 0;
      list.continueToken.clear();
      continue;
    }
    const std::string kind = itemKind(page);
    const auto items = page.find("items");
    if (items != page.end() && items->is_array()) {
      for (auto& item : *items) {
        completeTypeMeta(item, options_.collection.type.apiVersion(), kind);
        objects.push_back(std::move(item));
      }
    }
    resourceVersion = listMetadata(page, "resourceVersion");
    list.continueToken = listMetadata(page, "continue");
    if (list.continueToken.empty()) {
      break;
    }
  }
  handler_.onSynced(objects, resourceVersion);
  return resourceVersion;
}

Reflector::WatchOutcome Reflector::watchOnce(const std::stop_token& stop) {
  WatchOptions watch;
  watch.labelSelector = options_.labelSelector;
  watch.fieldSelector = options_.fieldSelector;
  watch.resourceVersion = resourceVersion_;
  watch.timeout = jitteredWatchTimeout();
  watch.allowWatchBookmarks = true;
  eventsInWatch_ = 0;
  const Clock::TimePoint started = clock_.now();
  const WatchEnd end = client_.watch(
      options_.collection, watch, [this](const WatchEvent& event) { handle(event); }, stop);
  if (end == WatchEnd::Stopped) {
    return WatchOutcome::Stopped;
  }
  if (eventsInWatch_ == 0 && clock_.now() - started < kShortestHealthyWatch) {
    return WatchOutcome::EndedAtOnce;
  }
  return WatchOutcome::Resume;
}

void Reflector::handle(const WatchEvent& event) {
  ++eventsInWatch_;
  const std::string version = resourceVersionOf(event.object);
  switch (event.type) {
    case WatchEventType::Added:
      handler_.onAdded(event.object);
      break;
    case WatchEventType::Modified:
      handler_.onModified(event.object);
      break;
    case WatchEventType::Deleted:
      handler_.onDeleted(event.object);
      break;
    case WatchEventType::Bookmark:
      break;
    case WatchEventType::Error:
      // The client throws ERROR events as KubeError; one that reaches here is a bug there.
      throw std::logic_error("watch ERROR event delivered as an event");
  }
  if (!version.empty()) {
    resourceVersion_ = version;
  }
}

std::chrono::seconds Reflector::jitteredWatchTimeout() {
  const double seconds =
      static_cast<double>(options_.watchTimeout.count()) * (1.0 + random_.uniform());
  return std::chrono::seconds(
      std::max<std::chrono::seconds::rep>(1, static_cast<std::chrono::seconds::rep>(seconds)));
}

}  // namespace tenantshift::kube
