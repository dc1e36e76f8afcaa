#include "api/migration_spec.h"

#include <algorithm>

namespace tenantshift::api {

const char* sqlTypeName(TenantIdType type) {
  switch (type) {
    case TenantIdType::Uuid:
      return "uuid";
    case TenantIdType::Bigint:
      return "bigint";
    case TenantIdType::Text:
      return "text";
  }
  return "text";
}

const TableSpec* MigrationSpec::findTable(const std::string& name) const {
  if (!tables) {
    return nullptr;
  }
  auto it = std::find_if(tables->begin(), tables->end(),
                         [&](const TableSpec& t) { return t.name == name; });
  return it == tables->end() ? nullptr : &*it;
}

bool AcceptSpec::empty() const {
  return views.empty() && materializedViews.empty() && functions.empty() &&
         writableGlobalTables.empty();
}

bool MigrationSpec::isExcluded(const std::string& name) const {
  return std::find(exclude.begin(), exclude.end(), name) != exclude.end();
}

}  // namespace tenantshift::api
