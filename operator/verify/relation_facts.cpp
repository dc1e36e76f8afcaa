#include "verify/relation_facts.h"

#include <algorithm>

#include "plan/sql_identifier.h"

namespace tenantshift::verify {

std::string RelationFacts::label(const std::string& specSchema) const {
  return schema == specSchema || schema.empty() ? name : schema + "." + name;
}

std::string RelationFacts::qualified() const {
  return plan::qualified(schema, name);
}

const IndexFacts* RelationFacts::findIndex(const std::string& indexName) const {
  auto it = std::find_if(indexes.begin(), indexes.end(),
                         [&](const IndexFacts& index) { return index.name == indexName; });
  return it == indexes.end() ? nullptr : &*it;
}

}  // namespace tenantshift::verify
