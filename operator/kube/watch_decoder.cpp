#include "kube/watch_decoder.h"

#include <algorithm>
#include <cctype>

namespace tenantshift::kube {

namespace {

constexpr std::size_t kExcerptBytes = 120;

bool isBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

std::string excerpt(std::string_view text) {
  return text.size() > kExcerptBytes ? std::string(text.substr(0, kExcerptBytes)) + "..."
                                     : std::string(text);
}

WatchEventType parseType(const std::string& type) {
  if (type == "ADDED") {
    return WatchEventType::Added;
  }
  if (type == "MODIFIED") {
    return WatchEventType::Modified;
  }
  if (type == "DELETED") {
    return WatchEventType::Deleted;
  }
  if (type == "BOOKMARK") {
    return WatchEventType::Bookmark;
  }
  if (type == "ERROR") {
    return WatchEventType::Error;
  }
  throw WatchStreamError("watch stream: unknown event type \"" + type + "\"");
}

}  // namespace

std::string toString(WatchEventType type) {
  switch (type) {
    case WatchEventType::Added:
      return "ADDED";
    case WatchEventType::Modified:
      return "MODIFIED";
    case WatchEventType::Deleted:
      return "DELETED";
    case WatchEventType::Bookmark:
      return "BOOKMARK";
    case WatchEventType::Error:
      return "ERROR";
  }
  return "UNKNOWN";
}

WatchEvent decodeWatchEvent(std::string_view line) {
  nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
  if (event.is_discarded()) {
    throw WatchStreamError("watch stream: an event is not valid JSON: " + excerpt(line));
  }
  if (!event.is_object()) {
    throw WatchStreamError("watch stream: an event is not a JSON object: " + excerpt(line));
  }
  const auto type = event.find("type");
  if (type == event.end() || !type->is_string()) {
    throw WatchStreamError("watch stream: an event has no type: " + excerpt(line));
  }
  const auto object = event.find("object");
  if (object == event.end() || !object->is_object()) {
    throw WatchStreamError("watch stream: a " + type->get<std::string>() +
                           " event has no object: " + excerpt(line));
  }
  return WatchEvent{parseType(type->get<std::string>()), std::move(*object)};
}

std::vector<WatchEvent> WatchDecoder::feed(std::string_view chunk) {
  std::vector<WatchEvent> events;
  while (!chunk.empty()) {
    const std::size_t newline = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, newline);
    if (pending_.size() + piece.size() > kMaxEventBytes) {
      pending_.clear();
      throw WatchStreamError("watch stream: an event is larger than " +
                             std::to_string(kMaxEventBytes) + " bytes");
    }
    if (newline == std::string_view::npos) {
      pending_.append(piece);
      break;
    }
    std::string line;
    line.swap(pending_);
    line.append(piece);
    chunk.remove_prefix(newline + 1);
    if (!isBlank(line)) {
      events.push_back(decodeWatchEvent(line));
    }
  }
  return events;
}

std::vector<WatchEvent> WatchDecoder::finish() {
  std::string rest;
  rest.swap(pending_);
  if (isBlank(rest)) {
    return {};
  }
  nlohmann::json parsed = nlohmann::json::parse(rest, nullptr, false);
  if (parsed.is_discarded()) {
    throw WatchStreamError("watch stream: the stream ended inside an event (" +
                           std::to_string(rest.size()) + " bytes of it received)");
  }
  std::vector<WatchEvent> events;
  events.push_back(decodeWatchEvent(rest));
  return events;
}

}  // namespace tenantshift::kube
