#include "plan/sql_identifier.h"

#include <stdexcept>

namespace tenantshift::plan {

namespace {

std::string quoteWith(std::string_view text, char quote) {
  if (text.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("SQL text must not contain a NUL byte");
  }
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(quote);
  for (char c : text) {
    if (c == quote) {
      out.push_back(quote);
    }
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}

}  // namespace

std::string quoteIdent(std::string_view name) {
  return quoteWith(name, '"');
}

std::string qualified(std::string_view schema, std::string_view name) {
  return quoteIdent(schema) + "." + quoteIdent(name);
}

std::string quoteIdentList(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) {
      out += ", ";
    }
    out += quoteIdent(name);
  }
  return out;
}

std::string quoteLiteral(std::string_view value) {
  return quoteWith(value, '\'');
}

}  // namespace tenantshift::plan
