#include "plan/schema_steps.h"

#include "api/joined.h"
#include "plan/catalog_checks.h"
#include "plan/partitioned_ddl.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_move_guard.h"
#include "plan/tenant_objects.h"
#include "plan/trigger_steps.h"

namespace tenantshift::plan {

namespace {

using Kind = api::TenantSource::Kind;

Step tenantsTableStep(const PlanContext& ctx) {
  Step step = newStep(Phase::Schema, "schema/tenants-table", "",
                      "create the tenants table " + ctx.tenants.name +
                          " (a new table: no existing table is locked), readable by " +
                          ctx.spec.database.appRole);
  const std::string table = ctx.qualifiedName(ctx.tenants.name);
  step.up.push_back(statement("CREATE TABLE IF NOT EXISTS " + table + " (" +
                              quoteIdent(ctx.tenants.idColumn) + " " + ctx.idType +
                              " PRIMARY KEY, slug text UNIQUE NOT NULL, name text NOT NULL, "
                              "created_at timestamptz NOT NULL DEFAULT now())"));
  // The application resolves tenants (slug -> id) once it is tenant-aware: it may read them.
  step.up.push_back(
      statement("GRANT SELECT ON " + table + " TO " + quoteIdent(ctx.spec.database.appRole)));
  step.down.push_back(statement("DROP TABLE IF EXISTS " + table));
  step.lock = LockLevel::None;
  step.downRisk = DataLossRisk::High;
  step.riskReason = "rollback drops tenants created since the migration began";
  return step;
}

Step defaultTenantStep(const PlanContext& ctx) {
  const auto& tenant = ctx.spec.tenant.defaultTenant;
  Step step =
      newStep(Phase::Schema, "schema/default-tenant", "",
              "insert the default tenant " + tenant.slug + " (" + tenant.id + ") unless it exists");
  std::string columns = quoteIdent(ctx.tenants.idColumn);
  std::string values = "$1::" + ctx.idType;
  std::vector<std::string> params{tenant.id};
  if (ctx.tenants.hasSlug) {
    columns += ", slug";
    params.push_back(tenant.slug);
    values += ", $" + std::to_string(params.size());
  }
  if (ctx.tenants.hasName) {
    columns += ", name";
    params.push_back(tenant.name);
    values += ", $" + std::to_string(params.size());
  }
  // WHERE NOT EXISTS rather than ON CONFLICT: an existing row is never re-formed, so a tenants
  // table with more required columns works as long as the default tenant's row exists.
  const std::string table = ctx.qualifiedName(ctx.tenants.name);
  step.up.push_back(statement("INSERT INTO " + table + " (" + columns + ") SELECT " + values +
                                  " WHERE NOT EXISTS (SELECT FROM " + table + " WHERE " +
                                  quoteIdent(ctx.tenants.idColumn) + " = $1::" + ctx.idType + ")",
                              params));
  std::vector<std::string> required;
  if (ctx.tenants.table != nullptr) {
    for (const Column& column : ctx.tenants.table->columns) {
      if (column.notNull && !column.defaultExpr && !column.generated && !column.identity &&
          column.name != ctx.tenants.idColumn && column.name != "slug" && column.name != "name") {
        required.push_back(column.name);
      }
    }
  }
  if (!required.empty()) {
    step.failureHint = "the tenants table " + ctx.tenants.name +
                       " has NOT NULL columns without "
                       "a default (" +
                       api::joined(required) + "): insert the default tenant's row (id " +
                       tenant.id + ") yourself, or give those columns defaults, then run again";
  }
  step.lock = LockLevel::RowExclusive;
  return step;
}

constexpr const char* kBypassRoleMarker = "created by tenantshift; dropped by its full rollback";

Step bypassRoleStep(const PlanContext& ctx) {
  const auto& role = ctx.spec.tenant.bypassRole;
  Step step =
      newStep(Phase::Schema, "schema/bypass-role", "",
              "create the administration role " + role + " (NOLOGIN BYPASSRLS) unless it exists");
  // CREATE ROLE takes no parameters and has no IF NOT EXISTS: a DO block with a quoted literal.
  // The comment marks the role as ours, so that rolling back never drops a role that existed
  // before the migration (or that someone else has since taken over).
  const std::string marker = quoteLiteral(kBypassRoleMarker);
  step.up.push_back(statement(
      "DO " + dollarQuoted("BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = " +
                           quoteLiteral(role) + ") THEN CREATE ROLE " + quoteIdent(role) +
                           " NOLOGIN BYPASSRLS; COMMENT ON ROLE " + quoteIdent(role) + " IS " +
                           marker + "; END IF; END")));
  step.down.push_back(statement(
      "DO " + dollarQuoted("BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = " +
                           quoteLiteral(role) +
                           " AND pg_catalog.shobj_description(r.oid, 'pg_authid') = " + marker +
                           ") THEN DROP ROLE " + quoteIdent(role) + "; END IF; END")));
  step.lock = LockLevel::None;
  return step;
}

Step addColumnStep(const PlanContext& ctx, const PlannedTable& pt) {
  Step step = newStep(Phase::Schema, "schema/add-column/" + pt.name(), pt.name(),
                      "add the nullable column " + ctx.spec.tenant.column + " " + ctx.idType +
                          " to " + pt.name() + " (catalog-only change, no rewrite)");
  const std::string table = ctx.qualifiedName(pt.name());
  step.up.push_back(statement("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + ctx.column() +
                              " " + ctx.idType));
  step.down.push_back(statement("ALTER TABLE " + table + " DROP COLUMN IF EXISTS " + ctx.column()));
  step.lock = LockLevel::AccessExclusive;
  step.downRisk = DataLossRisk::High;
  step.riskReason = "rollback drops each row's tenant assignment";
  return step;
}

}  // namespace

void addSchemaSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& tenantFks,
                    std::vector<Step>& steps) {
  if (ctx.tenants.created) {
    steps.push_back(tenantsTableStep(ctx));
  }
  steps.push_back(defaultTenantStep(ctx));
  steps.push_back(bypassRoleStep(ctx));
  for (const auto& pt : ctx.tables) {
    if (!pt.existingColumn) {
      steps.push_back(addColumnStep(ctx, pt));
    }
    if (existingTenantFk(ctx, *pt.table) == nullptr) {
      for (Step& step : constraintNotValidSteps(
               ctx, Phase::Schema, "schema/fk/" + pt.name(), pt.name(), ctx.tenants.name,
               tenantFkName(pt.name()), tenantFkDefinition(ctx),
               "the foreign key of " + ctx.spec.tenant.column + " to " + ctx.tenants.name)) {
        steps.push_back(std::move(step));
      }
    }
    // A column default the application already gave the tenant column stays its own.
    const bool keepsDefault = pt.kind == api::TenantSource::Kind::Default && pt.existingColumn &&
                              pt.existingColumn->defaultExpr;
    if (!keepsDefault) {
      steps.push_back(tenantAssignmentStep(ctx, pt));
    }
  }
  addTenantMoveGuardSteps(ctx, steps);
  addTenantFkSchemaSteps(ctx, tenantFks, steps);
}

std::string tenantFkDefinition(const PlanContext& ctx) {
  return "FOREIGN KEY (" + ctx.column() + ") REFERENCES " + ctx.qualifiedName(ctx.tenants.name) +
         " (" + quoteIdent(ctx.tenants.idColumn) + ")";
}

}  // namespace tenantshift::plan
