#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace tenantshift::db {

// The URL with its password (and any password= parameter) replaced by "***": the only form of
// a database URL that may appear in logs, status, events or messages.
std::string redactUrl(const std::string& url);

// `text` with the database URL (as given, and redacted) replaced by `replacement`, and the URL's
// password (as written in it, and percent-decoded) by "***", wherever they occur: for text that
// leaves the process where even the redacted URL must not (a Kubernetes termination message).
std::string withoutDatabaseUrl(const std::string& text, const std::string& url,
                               const std::string& replacement);

// Opens a connection, tagged application_name=tenantshift. A failure is rethrown as
// pqxx::broken_connection whose message names the redacted URL and never the password.
std::unique_ptr<pqxx::connection> connect(const std::string& url);

}  // namespace tenantshift::db
