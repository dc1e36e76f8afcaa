#include "plan/tenants_rows.h"

#include <algorithm>

#include "plan/sql_identifier.h"

namespace tenantshift::plan {

namespace {

// Columns whose value is unique on its own: another tenant's value cannot be copied.
bool uniqueOnItsOwn(const Table& table, const std::string& column) {
  return std::any_of(table.uniqueKeys.begin(), table.uniqueKeys.end(), [&](const UniqueKey& key) {
    return key.columns.size() == 1 && key.columns.front() == column && key.predicate.empty();
  });
}

}  // namespace

std::string fittedText(const std::string& textExpr, int maxLength) {
  if (maxLength <= 0) {
    return textExpr;
  }
  const std::string n = std::to_string(maxLength);
  const std::string cut = maxLength >= 10
                              ? "left(" + textExpr + ", " + std::to_string(maxLength - 9) +
                                    ") || '-' || left(md5(" + textExpr + "), 8)"
                              : "left(md5(" + textExpr + "), " + n + ")";
  return "CASE WHEN length(" + textExpr + ") <= " + n + " THEN " + textExpr + " ELSE " + cut +
         " END";
}

TenantsRow tenantsRowFromId(const PlanContext& ctx, const std::string& idExpr) {
  TenantsRow row{quoteIdent(ctx.tenants.idColumn), idExpr, false};
  const std::string idText = "(" + idExpr + ")::text";
  if (ctx.tenants.table == nullptr) {
    // The tenants table the plan creates: id, slug, name (text, unbounded).
    row.columns += ", slug, name";
    row.values += ", " + idText + ", 'Tenant ' || " + idText;
    return row;
  }
  for (const Column& column : ctx.tenants.table->columns) {
    if (column.name == ctx.tenants.idColumn || column.generated || column.identity) {
      continue;
    }
    const bool required = column.notNull && !column.defaultExpr;
    // A slug, and any other required text column that must be unique: the id as text.
    const bool idAsText =
        column.textLike &&
        (column.name == "slug" ||
         (required && column.name != "name" && uniqueOnItsOwn(*ctx.tenants.table, column.name)));
    std::string value;
    if (idAsText) {
      value = fittedText(idText, column.maxLength);
    } else if (column.name == "name" && column.textLike) {
      value = fittedText("'Tenant ' || " + idText, column.maxLength);
    } else if (!required) {
      continue;  // its default (or NULL) will do
    } else {
      value = "d." + quoteIdent(column.name);
      row.fromDefaultRow = true;
    }
    row.columns += ", " + quoteIdent(column.name);
    row.values += ", " + value;
  }
  return row;
}

std::string defaultRowSource(const PlanContext& ctx, const TenantsRow& row,
                             const std::string& keyword) {
  if (!row.fromDefaultRow) {
    return "";
  }
  const std::string alias = keyword == "JOIN" ? " ON " : " WHERE ";
  return " " + keyword + " " + ctx.qualifiedName(ctx.tenants.name) + " d" + alias + "d." +
         quoteIdent(ctx.tenants.idColumn) + " = " + ctx.defaultTenantLiteral();
}

}  // namespace tenantshift::plan
