#include "plan/trigger_steps.h"

#include "api/joined.h"
#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"
#include "plan/tenants_rows.h"

namespace tenantshift::plan {

namespace {

using Kind = api::TenantSource::Kind;

// NEW.a, NEW.b (or OLD.)
std::string rowColumns(const std::string& record, const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  out.reserve(columns.size());
  for (const auto& column : columns) {
    out.push_back(record + "." + quoteIdent(column));
  }
  return api::joined(out);
}

std::string sessionTenant(const PlanContext& ctx) {
  return "NULLIF(pg_catalog.current_setting(" + quoteLiteral(ctx.spec.tenant.setting) +
         ", true), '')::" + ctx.idType;
}

Step defaultStep(const PlanContext& ctx, const PlannedTable& pt) {
  Step step = newStep(Phase::Schema, "schema/default/" + pt.name(), pt.name(),
                      "new rows of " + pt.name() +
                          " get the session's tenant, else the default tenant (column default)");
  const std::string alter =
      "ALTER TABLE " + ctx.qualifiedName(pt.name()) + " ALTER COLUMN " + ctx.column();
  step.up.push_back(statement(alter + " SET DEFAULT COALESCE(NULLIF(current_setting(" +
                              quoteLiteral(ctx.spec.tenant.setting) + ", true), '')::" +
                              ctx.idType + ", " + ctx.defaultTenantLiteral() + ")"));
  if (pt.existingColumn && pt.existingColumn->defaultExpr) {
    step.down.push_back(statement(alter + " SET DEFAULT " + *pt.existingColumn->defaultExpr));
  } else {
    step.down.push_back(statement(alter + " DROP DEFAULT"));
  }
  step.lock = LockLevel::AccessExclusive;
  return step;
}

// The trigger's body: returns early when the statement gave the tenant itself (or, on UPDATE,
// when the watched columns did not change), then `derive`.
std::string triggerBody(const PlanContext& ctx, const std::vector<std::string>& watched,
                        const std::string& declarations, const std::string& derive) {
  const std::string col = ctx.column();
  std::string body = declarations + "BEGIN IF TG_OP = 'UPDATE' THEN IF NEW." + col +
                     " IS DISTINCT FROM OLD." + col + " OR (" + rowColumns("NEW", watched) +
                     ") IS NOT DISTINCT FROM (" + rowColumns("OLD", watched) +
                     ") THEN RETURN NEW; END IF; ELSIF NEW." + col +
                     " IS NOT NULL THEN RETURN NEW; END IF; " + derive + " RETURN NEW; END";
  return body;
}

std::string parentDerivation(const PlanContext& ctx, const PlannedTable& pt) {
  const std::string col = "NEW." + ctx.column();
  std::string anyNull;
  std::string match;
  for (std::size_t i = 0; i < pt.via.size() && i < pt.referencedColumns.size(); ++i) {
    anyNull +=
        std::string(anyNull.empty() ? "" : " OR ") + "NEW." + quoteIdent(pt.via[i]) + " IS NULL";
    match += std::string(match.empty() ? "" : " AND ") + "p." +
             quoteIdent(pt.referencedColumns[i]) + " = NEW." + quoteIdent(pt.via[i]);
  }
  return col + " := " + sessionTenant(ctx) + "; IF " + col +
         " IS NOT NULL THEN RETURN NEW; END IF; " + "IF " + anyNull + " THEN " + col +
         " := " + ctx.defaultTenantLiteral() + "; RETURN NEW; END IF; SELECT p." + ctx.column() +
         ", true INTO parent_tenant, found_parent " + "FROM " + ctx.qualifiedName(pt.parent) +
         " p WHERE " + match + "; IF found_parent THEN " + col + " := parent_tenant; ELSE " + col +
         " := " + ctx.defaultTenantLiteral() + "; END IF;";
}

// Creates the tenants row of the column's value when it has none: with values derived from the
// id (unique by construction); when one of them is taken by another tenant all the same, once
// more with a suffix on each unique text value, so that the application's insert never fails
// for want of a tenants row. ON CONFLICT on the id only: a tenants row a concurrent session
// created is kept.
std::string columnDerivation(const PlanContext& ctx, const PlannedTable& pt) {
  const std::string col = "NEW." + ctx.column();
  const std::string source = "NEW." + quoteIdent(pt.column) + "::" + ctx.idType;
  const std::string tenants = ctx.qualifiedName(ctx.tenants.name);
  auto insert = [&](bool disambiguated) {
    const TenantsRow row = tenantsRowFromId(ctx, source, disambiguated);
    return "INSERT INTO " + tenants + " (" + row.columns + ") SELECT " + row.values +
           defaultRowSource(ctx, row, "FROM") + onExistingTenant(ctx) + "; ";
  };
  return "IF NEW." + quoteIdent(pt.column) + " IS NOT NULL THEN IF NOT EXISTS (SELECT FROM " +
         tenants + " t WHERE t." + quoteIdent(ctx.tenants.idColumn) + " = " + source +
         ") THEN BEGIN " + insert(false) + "EXCEPTION WHEN unique_violation THEN " + insert(true) +
         "END; END IF; " + col + " := " + source + "; RETURN NEW; END IF; " + col +
         " := COALESCE(" + sessionTenant(ctx) + ", " + ctx.defaultTenantLiteral() + ");";
}

Step triggerStep(const PlanContext& ctx, const PlannedTable& pt, const std::string& summary,
                 const std::vector<std::string>& watched, const std::string& declarations,
                 const std::string& derive) {
  Step step = newStep(Phase::Schema, "schema/trigger/" + pt.name(), pt.name(), summary);
  // A table that already had the tenant column keeps the application's values on UPDATE.
  const std::string events =
      pt.existingColumn ? "INSERT" : "INSERT OR UPDATE OF " + quoteIdentList(watched);
  addRowTrigger(
      ctx, step,
      RowTrigger{pt.name(), kTriggerName, triggerFunctionName(pt.name()),
                 triggerBody(ctx, watched, declarations, derive), "BEFORE " + events, ""});
  return step;
}

}  // namespace

void addRowTrigger(const PlanContext& ctx, Step& step, const RowTrigger& trigger) {
  const std::string function = ctx.qualifiedName(trigger.function);
  const std::string table = ctx.qualifiedName(trigger.table);
  step.up.push_back(statement("CREATE OR REPLACE FUNCTION " + function +
                              "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
                              "SET search_path = pg_catalog, pg_temp AS " +
                              dollarQuoted(trigger.body)));
  // The unchanged application may not call it (it only works as a trigger anyway).
  step.up.push_back(statement("REVOKE ALL ON FUNCTION " + function + "() FROM PUBLIC"));
  const std::string definition = " " + trigger.events + " ON " + table + " FOR EACH ROW" +
                                 (trigger.when.empty() ? "" : " WHEN (" + trigger.when + ")") +
                                 " EXECUTE FUNCTION " + function + "()";
  const std::string name = quoteIdent(trigger.name);
  if (ctx.catalog.serverVersion >= 140000) {
    step.up.push_back(statement("CREATE OR REPLACE TRIGGER " + name + definition));
    step.lock = LockLevel::ShareRowExclusive;
  } else {
    step.up.push_back(statement("DROP TRIGGER IF EXISTS " + name + " ON " + table));
    step.up.push_back(statement("CREATE TRIGGER " + name + definition));
    step.lock = LockLevel::AccessExclusive;
  }
  step.down.push_back(statement("DROP TRIGGER IF EXISTS " + name + " ON " + table));
  step.down.push_back(statement("DROP FUNCTION IF EXISTS " + function + "()"));
}

Step tenantAssignmentStep(const PlanContext& ctx, const PlannedTable& pt) {
  switch (pt.kind) {
    case Kind::Default:
      return defaultStep(ctx, pt);
    case Kind::Parent:
      return triggerStep(
          ctx, pt,
          "new rows of " + pt.name() + " get the session's tenant, else their " + pt.parent +
              " row's (left for the backfill while that row has none yet), else the default "
              "tenant; a row moved to another " +
              pt.parent + " row takes its tenant (trigger)",
          pt.via, "DECLARE parent_tenant " + ctx.idType + "; found_parent boolean := false; ",
          parentDerivation(ctx, pt));
    case Kind::Column:
      return triggerStep(ctx, pt,
                         "new rows of " + pt.name() + " get the tenant in their column " +
                             pt.column +
                             " (creating the tenants row when missing; also when an UPDATE "
                             "changes it), else the session's, else the default (trigger)",
                         {pt.column}, "", columnDerivation(ctx, pt));
  }
  return defaultStep(ctx, pt);
}

}  // namespace tenantshift::plan
