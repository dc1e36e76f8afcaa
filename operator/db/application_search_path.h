#pragma once

#include <pqxx/pqxx>
#include <string>

namespace tenantshift::db {

// The search_path under which the application's own code that one of our statements fires (a
// trigger of an application table: the backfill's UPDATE fires the ones marked ENABLE ALWAYS, or
// all of them when the runner may not run as replica; verify's probes fire the application's
// triggers as the application's statements do) finds what it names as it does for the
// application: pg_catalog first, then the existing schemas of the login's default search_path
// (the server's, the database's and the role's settings, `$user` resolved), pg_temp last.
// db::connect pins kSearchPath instead, under which an audit trigger's unqualified
// `INSERT INTO audit_log` fails.

// Read in a transaction of its own, which changes nothing.
std::string applicationSearchPath(pqxx::connection& connection);

// Sets it for the rest of `tx` (SET LOCAL: a savepoint rolled back takes it back).
void useApplicationSearchPath(pqxx::transaction_base& tx);

}  // namespace tenantshift::db
