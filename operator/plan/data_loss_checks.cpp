#include "plan/data_loss_checks.h"

#include "plan/sql_identifier.h"
#include "plan/tenant_expression.h"

namespace tenantshift::plan {

std::vector<DataLossCheck> dataLossChecks(const PlanContext& ctx) {
  std::vector<DataLossCheck> out;
  const std::string& defaultId = ctx.spec.tenant.defaultTenant.id;
  for (const auto& pt : ctx.tables) {
    if (pt.existingColumn) {
      continue;  // its values existed before the migration and survive a rollback
    }
    DataLossCheck check;
    check.what = pt.name() + ": rows whose " + ctx.spec.tenant.column + " differs from the " +
                 pt.source + "'s";
    check.query.sql = "SELECT count(*)::bigint FROM " + ctx.qualifiedName(pt.name()) +
                      " t WHERE t." + ctx.column() + " IS NOT NULL AND t." + ctx.column() +
                      " IS DISTINCT FROM " + derivedTenant(ctx, pt, "t", "$1");
    check.query.params = {defaultId};
    out.push_back(std::move(check));
  }
  if (ctx.tenants.created) {
    const std::string id = "x." + quoteIdent(ctx.tenants.idColumn);
    std::string sql = "SELECT count(*)::bigint FROM " + ctx.qualifiedName(ctx.tenants.name) +
                      " x WHERE " + id + " <> $1::" + ctx.idType;
    std::string sources;
    for (const auto& pt : ctx.tables) {
      if (pt.kind != api::TenantSource::Kind::Column) {
        continue;
      }
      sql += " AND NOT EXISTS (SELECT FROM " + ctx.qualifiedName(pt.name()) + " s WHERE s." +
             quoteIdent(pt.column) + "::" + ctx.idType + " = " + id + ")";
      sources += ", " + pt.name() + "." + pt.column;
    }
    DataLossCheck check;
    check.what = ctx.tenants.name + ": tenants other than the default" +
                 (sources.empty() ? std::string() : " and those taken from" + sources.substr(1));
    check.query = Statement{sql, {defaultId}};
    out.push_back(std::move(check));
  }
  return out;
}

}  // namespace tenantshift::plan
