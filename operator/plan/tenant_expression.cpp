#include "plan/tenant_expression.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::plan {

namespace {

// p."ref" = t."via" AND ...: the parent row `p` of the row aliased `alias`.
std::string parentMatch(const PlannedTable& pt, const std::string& alias) {
  std::string match;
  for (std::size_t i = 0; i < pt.via.size() && i < pt.referencedColumns.size(); ++i) {
    match += (match.empty() ? "" : " AND ") + std::string("p.") +
             quoteIdent(pt.referencedColumns[i]) + " = " + alias + "." + quoteIdent(pt.via[i]);
  }
  return match;
}

}  // namespace

std::string derivedTenant(const PlanContext& ctx, const PlannedTable& pt, const std::string& alias,
                          const std::string& defaultParam) {
  std::string fallback = defaultParam + "::" + ctx.idType;
  switch (pt.kind) {
    case api::TenantSource::Kind::Default:
      return fallback;
    case api::TenantSource::Kind::Column:
      return "COALESCE(" + alias + "." + quoteIdent(pt.column) + "::" + ctx.idType + ", " +
             fallback + ")";
    case api::TenantSource::Kind::Parent:
      return "COALESCE((SELECT p." + ctx.column() + " FROM " + ctx.qualifiedName(pt.parent) +
             " p WHERE " + parentMatch(pt, alias) + "), " + fallback + ")";
  }
  return fallback;
}

ParentJoin parentJoin(const PlanContext& ctx, const PlannedTable& pt, const std::string& alias,
                      const std::string& defaultParam) {
  return ParentJoin{ctx.qualifiedName(pt.parent) + " p", parentMatch(pt, alias),
                    "COALESCE(p." + ctx.column() + ", " + defaultParam + "::" + ctx.idType + ")"};
}

ParentJoin parentJoinOf(const PlanContext& ctx, const PlannedTable& pt, const std::string& alias,
                        const std::string& defaultParam, const std::string& childRows) {
  std::vector<std::string> referenced;
  referenced.reserve(pt.referencedColumns.size());
  for (const auto& column : pt.referencedColumns) {
    referenced.push_back("p." + quoteIdent(column));
  }
  const std::string keys = api::joined(referenced);
  ParentJoin join = parentJoin(ctx, pt, alias, defaultParam);
  join.from = "(SELECT " + keys + ", p." + ctx.column() + " FROM " + ctx.qualifiedName(pt.parent) +
              " p WHERE (" + keys + ") IN (" + childRows + ") OFFSET 0) p";
  return join;
}

}  // namespace tenantshift::plan
