#include "db/application_search_path.h"

namespace tenantshift::db {

namespace {

bool isImplicit(const std::string& schema) {
  return schema == "pg_catalog" || schema.rfind("pg_temp", 0) == 0;
}

// The login's default, made the search_path of the rest of `tx`, and read back.
std::string loginSearchPath(pqxx::transaction_base& tx) {
  tx.exec("SET LOCAL search_path TO DEFAULT");
  const pqxx::result rows =
      tx.exec("SELECT s FROM pg_catalog.unnest(pg_catalog.current_schemas(false)) AS s");
  std::string path = "pg_catalog";
  for (const auto& row : rows) {
    const std::string schema = row[0].as<std::string>();
    if (!isImplicit(schema)) {
      path += ", " + tx.quote_name(schema);
    }
  }
  return path + ", pg_temp";
}

}  // namespace

std::string applicationSearchPath(pqxx::connection& connection) {
  pqxx::read_transaction tx(connection);  // never committed: the SET LOCAL ends with it
  return loginSearchPath(tx);
}

void useApplicationSearchPath(pqxx::transaction_base& tx) {
  const std::string path = loginSearchPath(tx);
  tx.exec_params("SELECT pg_catalog.set_config('search_path', $1, true)", path);
}

}  // namespace tenantshift::db
