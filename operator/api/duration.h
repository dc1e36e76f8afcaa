#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tenantshift::api {

// Parses a Kubernetes-style duration ("20ms", "1s", "1m30s", "2h"); units us, ms, s, m, h.
// Returns nullopt for anything else (including a bare number: the unit is required).
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);

// "20ms", "1s", "1m30s": the shortest form that parseDuration reads back to the same value.
std::string formatDuration(std::chrono::milliseconds duration);

}  // namespace tenantshift::api
