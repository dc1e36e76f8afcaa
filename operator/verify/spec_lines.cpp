#include "verify/spec_lines.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tenantshift::verify {

namespace {

// The index of `table` in spec.tables, or -1.
long specIndex(const api::MigrationSpec& spec, const std::string& table) {
  const api::TableSpec* entry = spec.findTable(table);
  if (entry == nullptr) {
    return -1;
  }
  return static_cast<long>(entry - spec.tables->data());
}

}  // namespace

std::string yamlName(const std::string& name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '-' || c == '$';
  });
  if (plain && name.front() != '-') {
    return name;
  }
  return nlohmann::json(name).dump();  // a JSON string is a valid double-quoted YAML scalar
}

std::string tableFieldPath(const api::MigrationSpec& spec, const std::string& table,
                           const std::string& field) {
  const long index = specIndex(spec, table);
  return "spec.tables[" + (index < 0 ? std::string() : std::to_string(index)) + "]." + field;
}

std::string tableFieldLine(const api::MigrationSpec& spec, const std::string& table,
                           const std::string& field, const std::string& item) {
  const long index = specIndex(spec, table);
  const std::string list = field + ": [" + yamlName(item) + "]";
  if (index >= 0) {
    return "add " + list + " to spec.tables[" + std::to_string(index) + "] (" + table + ")";
  }
  const std::string entry = "{name: " + yamlName(table) + ", " + list + "}";
  if (spec.tables) {
    return "add " + entry + " to spec.tables";
  }
  return "add spec.tables: [" + entry + "]";
}

std::string acceptLine(const std::string& field, const std::string& item) {
  return "add " + yamlName(item) + " to spec.accept." + field + " (accept: {" + field + ": [" +
         yamlName(item) + "]})";
}

const std::vector<std::string>& tableList(const api::MigrationSpec& spec, const std::string& table,
                                          std::vector<std::string> api::TableSpec::*field) {
  static const std::vector<std::string> none;
  const api::TableSpec* entry = spec.findTable(table);
  return entry == nullptr ? none : entry->*field;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace tenantshift::verify
