#include "plan/exposure_steps.h"

#include <algorithm>
#include <set>

#include "api/joined.h"
#include "api/spec_error.h"
#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"

namespace tenantshift::plan {

namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool appCanSelect(const AppPrivileges& privileges) {
  return listed(privileges.effective, "SELECT");
}

// The tenant tables `view` reads, directly or through other views of the schema.
std::vector<std::string> tenantTablesRead(const PlanContext& ctx, const View& view,
                                          std::set<std::string>& seen) {
  std::vector<std::string> out;
  if (!seen.insert(view.key(ctx.catalog.schema)).second) {
    return out;
  }
  for (const auto& table : view.tables) {
    if (ctx.find(table) != nullptr) {
      out.push_back(table);
    }
  }
  for (const auto& inner : view.views) {
    if (const View* other = ctx.catalog.findView(inner)) {
      for (auto& table : tenantTablesRead(ctx, *other, seen)) {
        out.push_back(std::move(table));
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> tenantTablesRead(const PlanContext& ctx, const View& view) {
  std::set<std::string> seen;
  return tenantTablesRead(ctx, view, seen);
}

// The relations the application role must itself be able to read once `view` (and every view
// below it that is switched too) runs with the invoker's rights, that it cannot read today.
void unreadableBelow(const PlanContext& ctx, const View& view, std::set<std::string>& seen,
                     std::vector<std::string>& missing) {
  if (!seen.insert(view.key(ctx.catalog.schema)).second) {
    return;
  }
  for (const auto& name : view.tables) {
    const Table* table = ctx.catalog.findTable(name);
    if (table != nullptr && !table->appCan("SELECT")) {
      missing.push_back(name);
    }
  }
  for (const auto& inner : view.views) {
    const View* other = ctx.catalog.findView(inner);
    if (other == nullptr) {
      continue;
    }
    if (!appCanSelect(other->appPrivileges)) {
      missing.push_back(inner);
    }
    if (!other->materialized && !other->securityInvoker) {
      unreadableBelow(ctx, *other, seen, missing);
    }
  }
}

// Whether `list` (spec.accept.views or .materializedViews) names `view`: by its key (the plain
// name in the spec's schema), or as schema.name.
bool acceptedView(const PlanContext& ctx, const std::vector<std::string>& list, const View& view) {
  const std::string schema = view.schema.empty() ? ctx.catalog.schema : view.schema;
  return listed(list, view.key(ctx.catalog.schema)) || listed(list, schema + "." + view.name);
}

Step viewStep(const PlanContext& ctx, const View& view, const std::vector<std::string>& reads) {
  const std::string key = view.key(ctx.catalog.schema);
  Step step = newStep(Phase::Rls, "rls/view/" + key, "",
                      "make the view " + key + " security_invoker (it reads " + api::joined(reads) +
                          " with the rights of whoever queries it, so the " +
                          "policies apply; today it runs as its owner " + view.owner + ")");
  const std::string name = ctx.catalog.qualifiedName(view);
  step.up.push_back(statement("ALTER VIEW " + name + " SET (security_invoker = true)"));
  step.down.push_back(statement("ALTER VIEW " + name + " RESET (security_invoker)"));
  step.lock = LockLevel::AccessExclusive;
  return step;
}

Step materializedViewStep(const PlanContext& ctx, const View& view,
                          const std::vector<std::string>& reads) {
  const std::string key = view.key(ctx.catalog.schema);
  Step step = newStep(Phase::Rls, "rls/materialized-view/" + key, "",
                      "revoke the application role's SELECT on the materialized view " + key +
                          " (it stores every tenant's rows of " + api::joined(reads) +
                          ", which row-level security cannot filter)");
  const std::string name = ctx.catalog.qualifiedName(view);
  const std::string app = quoteIdent(ctx.spec.database.appRole);
  if (listed(view.appPrivileges.direct, "SELECT")) {
    step.up.push_back(statement("REVOKE SELECT ON " + name + " FROM " + app));
    step.down.push_back(statement("GRANT SELECT ON " + name + " TO " + app));
  }
  if (listed(view.appPrivileges.viaPublic, "SELECT")) {
    step.up.push_back(statement("REVOKE SELECT ON " + name + " FROM PUBLIC"));
    step.down.push_back(statement("GRANT SELECT ON " + name + " TO PUBLIC"));
  }
  step.lock = LockLevel::AccessExclusive;
  step.riskReason = "the unchanged application can no longer read " + key +
                    " (keep it with spec.accept.materializedViews if it must)";
  return step;
}

Step lookupFunctionStep(const PlanContext& ctx) {
  const std::string& name = ctx.spec.tenant.lookupFunction;
  const std::string function = ctx.qualifiedName(name) + "(text)";
  Step step = newStep(Phase::Rls, "rls/lookup-function", "",
                      "create " + name +
                          "(slug text) returning the tenant id of a slug, SECURITY "
                          "DEFINER and executable by " +
                          ctx.spec.database.appRole +
                          ": how the application resolves a tenant at login once the tenants "
                          "table shows each session only its own row");
  const std::string body = "SELECT t." + quoteIdent(ctx.tenants.idColumn) + " FROM " +
                           ctx.qualifiedName(ctx.tenants.name) + " t WHERE t.slug = $1";
  step.up.push_back(statement("CREATE FUNCTION " + function + " RETURNS " + ctx.idType +
                              " LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "
                              "pg_catalog, pg_temp AS " +
                              dollarQuoted(body)));
  step.up.push_back(
      statement("COMMENT ON FUNCTION " + function + " IS " + quoteLiteral(kLookupFunctionMarker)));
  step.up.push_back(statement("REVOKE ALL ON FUNCTION " + function + " FROM PUBLIC"));
  step.up.push_back(statement("GRANT EXECUTE ON FUNCTION " + function + " TO " +
                              quoteIdent(ctx.spec.database.appRole)));
  step.appliedCheck = statement(
      "SELECT pg_catalog.obj_description(pg_catalog.to_regprocedure($1), 'pg_proc') IS NOT "
      "DISTINCT FROM $2",
      {ctx.qualifiedName(name) + "(text)", kLookupFunctionMarker});
  step.down.push_back(statement(
      "DO " + dollarQuoted("BEGIN IF pg_catalog.obj_description(pg_catalog.to_regprocedure(" +
                           quoteLiteral(ctx.qualifiedName(name) + "(text)") +
                           "), 'pg_proc') = " + quoteLiteral(kLookupFunctionMarker) +
                           " THEN DROP FUNCTION " + function + "; END IF; END")));
  return step;
}

}  // namespace

void addExposureSteps(PlanContext& ctx, std::vector<Step>& steps) {
  const auto& accept = ctx.spec.accept;
  for (const View& view : ctx.catalog.views) {
    const std::vector<std::string> reads = tenantTablesRead(ctx, view);
    if (reads.empty()) {
      continue;
    }
    const std::string key = view.key(ctx.catalog.schema);
    if (view.materialized) {
      if (acceptedView(ctx, accept.materializedViews, view)) {
        ctx.notes.push_back("materialized view '" + key + "' holds every tenant's rows of " +
                            api::joined(reads) +
                            " and stays readable: accepted by spec.accept.materializedViews");
      } else if (appCanSelect(view.appPrivileges)) {
        if (listed(view.appPrivileges.direct, "SELECT") ||
            listed(view.appPrivileges.viaPublic, "SELECT")) {
          steps.push_back(materializedViewStep(ctx, view, reads));
        } else {
          ctx.notes.push_back("materialized view '" + key + "' holds every tenant's rows of " +
                              api::joined(reads) + " and " + ctx.spec.database.appRole +
                              " reads it through a role it is a member of: revoke that grant, or "
                              "accept it (spec.accept.materializedViews); verify fails until then");
        }
      }
      if (!view.ownerBypassesRls) {
        ctx.notes.push_back(
            "materialized view '" + key + "': REFRESH runs its query as the view's owner " +
            view.owner +
            " whoever issues it (a superuser too), and the owner is subject to the policies "
            "(FORCE): once they are strict, a refresh stores no rows, or with a tenant set only "
            "that tenant's. To keep every tenant's rows in it, give it to a role with BYPASSRLS "
            "and SELECT on what it reads (ALTER MATERIALIZED VIEW " +
            ctx.catalog.qualifiedName(view) + " OWNER TO that role), or make " + view.owner +
            " BYPASSRLS (then every view it owns bypasses the policies too)");
      }
      continue;
    }
    if (view.securityInvoker) {
      continue;
    }
    if (acceptedView(ctx, accept.views, view)) {
      ctx.notes.push_back("view '" + key + "' reads " + api::joined(reads) + " as its owner " +
                          view.owner + " and is kept so: accepted by spec.accept.views");
      continue;
    }
    if (appCanSelect(view.appPrivileges)) {
      std::set<std::string> seen;
      std::vector<std::string> missing;
      unreadableBelow(ctx, view, seen, missing);
      if (!missing.empty()) {
        throw api::SpecError(
            "spec.accept.views",
            "view '" + key + "' reads " + api::joined(reads) + " as its owner " + view.owner +
                ", and " + ctx.spec.database.appRole + " reads the view but not " +
                api::joined(missing) +
                ": making it security_invoker would break the application's reads. GRANT SELECT "
                "ON " +
                api::joined(missing) + " TO " + ctx.spec.database.appRole +
                " (the policies then filter the rows), or accept the view as it is by listing '" +
                key + "' in spec.accept.views");
      }
    }
    steps.push_back(viewStep(ctx, view, reads));
  }
  for (const Function& function : ctx.catalog.securityDefinerFunctions) {
    if (function.returnsTrigger || !function.appCanExecute || !function.ownerBypassesRls ||
        function.name == ctx.spec.tenant.lookupFunction) {
      continue;
    }
    const bool accepted =
        listed(accept.functions, function.name) || listed(accept.functions, function.signature);
    ctx.notes.push_back(
        "function " + function.schema + "." + function.signature +
        " is SECURITY DEFINER, owned by " + function.owner +
        " (which bypasses row-level "
        "security) and executable by " +
        ctx.spec.database.appRole +
        (accepted ? ": accepted by spec.accept.functions"
                  : ": whatever it reads ignores the policies; make it SECURITY INVOKER, filter "
                    "by the tenant inside it, or accept it (spec.accept.functions); verify fails "
                    "until then"));
  }
  if (!ctx.spec.tenant.lookupFunction.empty()) {
    if (!ctx.tenants.hasSlug) {
      throw api::SpecError(
          "spec.tenant.lookupFunction",
          "the tenants table '" + ctx.tenants.name + "' has no slug column to look tenants up by");
    }
    steps.push_back(lookupFunctionStep(ctx));
  }
}

}  // namespace tenantshift::plan
