#include "db/connection.h"

#include <regex>
#include <stdexcept>

namespace tenantshift::db {

std::string redactUrl(const std::string& url) {
  // scheme://user:password@host -> scheme://user:***@host
  static const std::regex userinfoPassword(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?#]*):[^@/?#]*@)");
  // password=secret in a query string or a key/value connection string
  static const std::regex passwordParameter(R"((^|[?&\s])(password\s*=\s*)('[^']*'|[^&\s]*))",
                                            std::regex::icase);
  std::string out = std::regex_replace(url, userinfoPassword, "$1:***@");
  return std::regex_replace(out, passwordParameter, "$1$2***");
}

std::unique_ptr<pqxx::connection> connect(const std::string& url) {
  try {
    auto connection = std::make_unique<pqxx::connection>(url);
    // Visible in pg_stat_activity, so that a DBA can tell our sessions from the application's.
    connection->set_variable("application_name", "'tenantshift'");
    return connection;
  } catch (const std::exception& error) {
    // libpq's messages name host and port, never the password; the URL we add is redacted.
    throw pqxx::broken_connection("cannot connect to " + redactUrl(url) + ": " + error.what());
  }
}

}  // namespace tenantshift::db
