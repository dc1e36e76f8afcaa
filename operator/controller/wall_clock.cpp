#include "controller/wall_clock.h"

#include <algorithm>
#include <ctime>

namespace tenantshift::controller {

namespace {

std::string formatUtc(WallClock::TimePoint time, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  const std::size_t length = std::strftime(buffer, sizeof buffer, format, &utc);
  return {buffer, length};
}

}  // namespace

std::string rfc3339(WallClock::TimePoint time) {
  return formatUtc(time, "%Y-%m-%dT%H:%M:%SZ");
}

std::string rfc3339Micro(WallClock::TimePoint time) {
  const auto sinceSecond = std::chrono::duration_cast<std::chrono::microseconds>(
      time - std::chrono::floor<std::chrono::seconds>(time));
  std::string fraction = std::to_string(sinceSecond.count());
  fraction.insert(0, 6 - std::min<std::size_t>(fraction.size(), 6), '0');
  return formatUtc(time, "%Y-%m-%dT%H:%M:%S") + "." + fraction + "Z";
}

std::optional<WallClock::TimePoint> parseRfc3339(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace tenantshift::controller
