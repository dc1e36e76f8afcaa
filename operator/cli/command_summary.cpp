#include "cli/command_summary.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "db/connection.h"

namespace tenantshift::cli {

namespace {

constexpr const char* kEllipsis = "...";
constexpr const char* kDatabase = "the database";

nlohmann::ordered_json countsJson(const engine::StepCounts& counts) {
  return {{"done", counts.done}, {"total", counts.total}};
}

// Never throws on text that is not valid UTF-8 (a server message may hold anything).
std::string dumped(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// The longest prefix of `text` of at most `size` bytes that does not end inside a UTF-8
// sequence.
std::string utf8Prefix(const std::string& text, std::size_t size) {
  if (size >= text.size()) {
    return text;
  }
  while (size > 0 && (static_cast<unsigned char>(text[size]) & 0xC0U) == 0x80U) {
    --size;
  }
  return text.substr(0, size);
}

nlohmann::ordered_json summaryObject(const CommandSummary& summary, const std::string& message) {
  nlohmann::ordered_json out = {{"outcome", engine::toString(summary.outcome)},
                                {"exitCode", engine::exitCode(summary.outcome)},
                                {"command", summary.command}};
  if (summary.phase) {
    out["phase"] = plan::toString(*summary.phase);
  }
  out["migration"] = summary.migration;
  out["message"] = message;
  if (summary.progress) {
    out["planHash"] = summary.progress->planHash;
    out["steps"] = countsJson(summary.progress->steps);
    if (summary.phase) {
      out["phaseSteps"] = countsJson(summary.progress->of(*summary.phase));
    }
  }
  return out;
}

}  // namespace

std::string summaryJson(const CommandSummary& summary, const std::string& databaseUrl,
                        std::size_t limit) {
  // Scrubbed before it is shortened: a cut must not leave half a password behind. The size of the
  // JSON grows with the length of the message's prefix, so the longest that fits is searched.
  const std::string message = db::withoutDatabaseUrl(summary.message, databaseUrl, kDatabase);
  nlohmann::ordered_json json = summaryObject(summary, message);
  std::string out = dumped(json);
  if (out.size() > limit) {
    // Escapes make the JSON of a text longer than the text, by how much depends on the text.
    std::size_t fits = 0;
    std::size_t tooLong = message.size();
    while (tooLong - fits > 1) {
      const std::size_t middle = fits + (tooLong - fits) / 2;
      json["message"] = utf8Prefix(message, middle) + kEllipsis;
      if (dumped(json).size() <= limit) {
        fits = middle;
      } else {
        tooLong = middle;
      }
    }
    json["message"] = utf8Prefix(message, fits) + kEllipsis;
    out = dumped(json);
  }
  if (out.size() > limit) {
    // Only the fixed fields left, and still too long (a migration name cannot be this long).
    out = dumped({{"outcome", engine::toString(summary.outcome)},
                  {"exitCode", engine::exitCode(summary.outcome)}});
  }
  return out;
}

void writeTerminationMessage(const std::string& path, const std::string& json) {
  std::ofstream file(path, std::ios::out | std::ios::trunc | std::ios::binary);
  file << json;
  file.close();
  if (!file) {
    spdlog::warn("could not write the termination message to {}", path);
  }
}

}  // namespace tenantshift::cli
