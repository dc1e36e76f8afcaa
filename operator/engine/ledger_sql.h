#pragma once

#include <string>
#include <vector>

namespace tenantshift::engine {

// The ledger's schema files (migrations/ledger/NNN_name.sql), compiled into the binary, in order.
struct LedgerSqlFile {
  std::string name;  // "001_ledger.sql"; the leading number is its version
  std::string sql;
};
const std::vector<LedgerSqlFile>& ledgerSqlFiles();

}  // namespace tenantshift::engine
