#include "plan/tenant_type.h"

#include <initializer_list>
#include <string_view>

namespace tenantshift::plan {

std::string baseTypeName(const std::string& formattedType) {
  std::string base = formattedType.substr(0, formattedType.find('('));
  while (!base.empty() && base.back() == ' ') {
    base.pop_back();
  }
  return base;
}

bool compatibleWithIdType(const std::string& formattedType, api::TenantIdType idType) {
  const std::string base = baseTypeName(formattedType);
  auto oneOf = [&](std::initializer_list<std::string_view> names) {
    for (auto name : names) {
      if (base == name) {
        return true;
      }
    }
    return false;
  };
  switch (idType) {
    case api::TenantIdType::Uuid:
      return oneOf({"uuid"});
    case api::TenantIdType::Bigint:
      return oneOf({"bigint", "integer", "smallint"});
    case api::TenantIdType::Text:
      return oneOf({"text", "character varying", "character", "varchar", "char", "bpchar"});
  }
  return false;
}

}  // namespace tenantshift::plan
