#include "db/connection.h"

#include <cctype>
#include <regex>
#include <stdexcept>
#include <vector>

namespace tenantshift::db {

namespace {

// scheme://user:password@host -> scheme://user:***@host
const std::regex& userinfoPassword() {
  static const std::regex pattern(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?#]*):([^@/?#]*)@)");
  return pattern;
}

// password=secret in a query string or a key/value connection string
const std::regex& passwordParameter() {
  static const std::regex pattern(R"((^|[?&\s])(password\s*=\s*)('[^']*'|[^&\s]*))",
                                  std::regex::icase);
  return pattern;
}

std::string percentDecoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) {
    return;
  }
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::string redactUrl(const std::string& url) {
  std::string out = std::regex_replace(url, userinfoPassword(), "$1:***@");
  return std::regex_replace(out, passwordParameter(), "$1$2***");
}

std::string withoutDatabaseUrl(const std::string& text, const std::string& url,
                               const std::string& replacement) {
  std::string out = text;
  replaceAll(out, url, replacement);
  replaceAll(out, redactUrl(url), replacement);
  std::vector<std::string> passwords;
  std::smatch match;
  if (std::regex_search(url, match, userinfoPassword())) {
    passwords.push_back(match[2].str());
  }
  for (auto it = std::sregex_iterator(url.begin(), url.end(), passwordParameter());
       it != std::sregex_iterator(); ++it) {
    std::string value = (*it)[3].str();
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    passwords.push_back(value);
  }
  for (const std::string& password : passwords) {
    replaceAll(out, password, "***");
    replaceAll(out, percentDecoded(password), "***");
  }
  return out;
}

std::unique_ptr<pqxx::connection> connect(const std::string& url) {
  try {
    auto connection = std::make_unique<pqxx::connection>(url);
    // Visible in pg_stat_activity, so that a DBA can tell our sessions from the application's.
    connection->set_variable("application_name", "'tenantshift'");
    connection->set_variable("standard_conforming_strings", "on");
    connection->set_variable("search_path", kSearchPath);
    return connection;
  } catch (const std::exception& error) {
    // libpq's messages name host and port, never the password; the URL we add is redacted.
    throw pqxx::broken_connection("cannot connect to " + redactUrl(url) + ": " + error.what());
  }
}

}  // namespace tenantshift::db
