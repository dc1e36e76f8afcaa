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

// The search_path of every connection tenantshift opens: pg_catalog, then pg_temp last (never
// searched for functions or operators unless named). No schema the database's owner (or anyone
// but a superuser) can write to, so that an unqualified function or operator in the migration's
// SQL is always PostgreSQL's own; every table is qualified.
inline constexpr const char* kSearchPath = "pg_catalog, pg_temp";

// Opens a connection, tagged application_name=tenantshift, with standard_conforming_strings on
// and search_path = kSearchPath for the session, whatever the server, the database or the role
// default to (a database owner may `ALTER DATABASE ... SET` either): the migration's SQL means
// what it says. `RESET search_path` gives the login default back. A failure is rethrown as
// pqxx::broken_connection whose message names the redacted URL and never the password.
std::unique_ptr<pqxx::connection> connect(const std::string& url);

}  // namespace tenantshift::db
