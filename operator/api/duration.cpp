#include "api/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

namespace tenantshift::api {

namespace {

// Microseconds per unit.
std::optional<std::int64_t> unitMicros(const std::string& unit) {
  if (unit == "us" || unit == "µs") {
    return 1;
  }
  if (unit == "ms") {
    return 1000;
  }
  if (unit == "s") {
    return 1000 * 1000;
  }
  if (unit == "m") {
    return std::int64_t{60} * 1000 * 1000;
  }
  if (unit == "h") {
    return std::int64_t{3600} * 1000 * 1000;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t totalMicros = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digitsStart = i;
    std::int64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
      if (value > std::numeric_limits<std::int64_t>::max() / 10 / 3600000000LL) {
        return std::nullopt;
      }
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digitsStart) {
      return std::nullopt;
    }
    std::size_t unitStart = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) == 0) {
      ++i;
    }
    auto micros = unitMicros(text.substr(unitStart, i - unitStart));
    if (!micros) {
      return std::nullopt;
    }
    totalMicros += value * *micros;
  }
  return std::chrono::milliseconds(totalMicros / 1000);
}

std::string formatDuration(std::chrono::milliseconds duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) {
    return "0ms";
  }
  std::string out;
  const std::int64_t hours = ms / 3600000;
  ms %= 3600000;
  const std::int64_t minutes = ms / 60000;
  ms %= 60000;
  const std::int64_t seconds = ms / 1000;
  ms %= 1000;
  if (hours != 0) {
    out += std::to_string(hours) + "h";
  }
  if (minutes != 0) {
    out += std::to_string(minutes) + "m";
  }
  if (seconds != 0) {
    out += std::to_string(seconds) + "s";
  }
  if (ms != 0) {
    out += std::to_string(ms) + "ms";
  }
  return out;
}

}  // namespace tenantshift::api
