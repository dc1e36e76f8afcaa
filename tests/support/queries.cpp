#include "support/queries.h"

#include <pqxx/pqxx>

#include "support/postgres_server.h"

namespace tenantshift::testing {

std::string databaseName(const std::string& url) {
  return url.substr(url.rfind('/') + 1);
}

std::string urlAs(const std::string& url, const std::string& user, const std::string& password) {
  const auto& server = PostgresServer::shared();
  return "postgresql://" + user + (password.empty() ? "" : ":" + password) +
         "@127.0.0.1:" + std::to_string(server.port()) + "/" + databaseName(url);
}

std::string queryValue(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  const pqxx::row row = tx.exec1(sql);
  return row[0].is_null() ? "" : row[0].as<std::string>();
}

std::int64_t queryInt(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<std::int64_t>();
}

std::vector<std::string> queryColumn(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  std::vector<std::string> values;
  for (const auto& row : tx.exec(sql)) {
    values.push_back(row[0].is_null() ? "" : row[0].as<std::string>());
  }
  return values;
}

}  // namespace tenantshift::testing
