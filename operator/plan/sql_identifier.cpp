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

std::string dollarQuoted(std::string_view body) {
  for (int n = 0;; ++n) {
    const std::string tag = "$ts" + (n == 0 ? std::string() : std::to_string(n)) + "$";
    // The body ends at the first occurrence of the tag: it must be the closing one.
    const std::string closed = std::string(body) + tag;
    if (closed.find(tag) == body.size()) {
      return tag + closed;
    }
  }
}

std::string quoteLiteral(std::string_view value) {
  if (value.find('\\') == std::string_view::npos) {
    return quoteWith(value, '\'');
  }
  // An escape string: backslashes doubled too, read the same whatever
  // standard_conforming_strings is (a plain '...' with a backslash in it is not).
  std::string doubled;
  doubled.reserve(value.size() + 2);
  for (char c : value) {
    if (c == '\\') {
      doubled.push_back(c);
    }
    doubled.push_back(c);
  }
  return "E" + quoteWith(doubled, '\'');
}

}  // namespace tenantshift::plan
