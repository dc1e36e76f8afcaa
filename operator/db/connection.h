#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace tenantshift::db {

// The URL with its password (and any password= parameter) replaced by "***": the only form of
// a database URL that may appear in logs, status, events or messages.
std::string redactUrl(const std::string& url);

// Opens a connection, tagged application_name=tenantshift. A failure is rethrown as
// pqxx::broken_connection whose message names the redacted URL and never the password.
std::unique_ptr<pqxx::connection> connect(const std::string& url);

}  // namespace tenantshift::db
