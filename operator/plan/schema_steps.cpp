#include "plan/schema_steps.h"

#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_objects.h"

namespace tenantshift::plan {

namespace {

using Kind = api::TenantSource::Kind;

// Dollar quote for function bodies and DO blocks; names never end up inside it unquoted.
constexpr const char* kBody = "$tenantshift$";

std::string joinedConditions(const std::vector<std::string>& left,
                             const std::vector<std::string>& right, const std::string& leftPrefix,
                             const std::string& rightPrefix) {
  std::string out;
  for (std::size_t i = 0; i < left.size() && i < right.size(); ++i) {
    out.append(out.empty() ? "" : " AND ")
        .append(leftPrefix)
        .append(quoteIdent(left[i]))
        .append(" = ")
        .append(rightPrefix)
        .append(quoteIdent(right[i]));
  }
  return out;
}

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
  step.up.push_back(statement("INSERT INTO " + ctx.qualifiedName(ctx.tenants.name) + " (" +
                                  columns + ") VALUES (" + values + ") ON CONFLICT DO NOTHING",
                              params));
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
  step.up.push_back(statement(std::string("DO ") + kBody +
                              " BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE "
                              "rolname = " +
                              quoteLiteral(role) + ") THEN CREATE ROLE " + quoteIdent(role) +
                              " NOLOGIN BYPASSRLS; COMMENT ON ROLE " + quoteIdent(role) + " IS " +
                              marker + "; END IF; END " + kBody));
  step.down.push_back(statement(
      std::string("DO ") + kBody +
      " BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = " +
      quoteLiteral(role) + " AND pg_catalog.shobj_description(r.oid, 'pg_authid') = " + marker +
      ") THEN DROP ROLE " + quoteIdent(role) + "; END IF; END " + kBody));
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

Step fkStep(const PlanContext& ctx, const std::string& id, const std::string& tableName) {
  const std::string name = tenantFkName(tableName);
  Step step = newStep(Phase::Schema, id, tableName,
                      "add the foreign key " + name + " of " + tableName + " to " +
                          ctx.tenants.name + " as NOT VALID (existing rows are checked later)");
  const std::string table = ctx.qualifiedName(tableName);
  step.up.push_back(statement("ALTER TABLE " + table + " ADD CONSTRAINT " + quoteIdent(name) +
                              " FOREIGN KEY (" + ctx.column() + ") REFERENCES " +
                              ctx.qualifiedName(ctx.tenants.name) + " (" +
                              quoteIdent(ctx.tenants.idColumn) + ") NOT VALID"));
  step.appliedCheck = constraintExists(ctx, tableName, name);
  step.down.push_back(
      statement("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " + quoteIdent(name)));
  step.lock = LockLevel::ShareRowExclusive;
  return step;
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

std::vector<Statement> createTrigger(const PlanContext& ctx, const PlannedTable& pt,
                                     const std::vector<std::string>& updateColumns) {
  const std::string table = ctx.qualifiedName(pt.name());
  const std::string body = " BEFORE INSERT OR UPDATE OF " + quoteIdentList(updateColumns) + " ON " +
                           table + " FOR EACH ROW EXECUTE FUNCTION " +
                           ctx.qualifiedName(triggerFunctionName(pt.name())) + "()";
  if (ctx.catalog.serverVersion >= 140000) {
    return {statement("CREATE OR REPLACE TRIGGER " + quoteIdent(kTriggerName) + body)};
  }
  return {statement("DROP TRIGGER IF EXISTS " + quoteIdent(kTriggerName) + " ON " + table),
          statement("CREATE TRIGGER " + quoteIdent(kTriggerName) + body)};
}

// CREATE TRIGGER takes SHARE ROW EXCLUSIVE; the DROP before it on PostgreSQL < 14 takes more.
LockLevel triggerLock(const PlanContext& ctx) {
  return ctx.catalog.serverVersion >= 140000 ? LockLevel::ShareRowExclusive
                                             : LockLevel::AccessExclusive;
}

std::string functionHeader(const PlanContext& ctx, const PlannedTable& pt, bool securityDefiner) {
  return "CREATE OR REPLACE FUNCTION " + ctx.qualifiedName(triggerFunctionName(pt.name())) +
         "() RETURNS trigger LANGUAGE plpgsql" + (securityDefiner ? " SECURITY DEFINER" : "") +
         " SET search_path = pg_catalog, pg_temp AS " + kBody;
}

std::string fallbacks(const PlanContext& ctx, bool withSession) {
  const std::string col = "NEW." + ctx.column();
  std::string out;
  if (withSession) {
    out += " IF " + col + " IS NULL THEN " + col + " := NULLIF(current_setting(" +
           quoteLiteral(ctx.spec.tenant.setting) + ", true), '')::" + ctx.idType + "; END IF;";
  }
  out += " IF " + col + " IS NULL THEN " + col + " := " + ctx.defaultTenantLiteral() + "; END IF;";
  return out;
}

// The trigger function, the trigger on `watched` columns, and their undo, into `step`.
void addTrigger(const PlanContext& ctx, const PlannedTable& pt, const std::string& function,
                const std::vector<std::string>& watched, Step& step) {
  step.up.push_back(statement(function));
  for (auto& trigger : createTrigger(ctx, pt, watched)) {
    step.up.push_back(std::move(trigger));
  }
  step.down.push_back(statement("DROP TRIGGER IF EXISTS " + quoteIdent(kTriggerName) + " ON " +
                                ctx.qualifiedName(pt.name())));
  step.down.push_back(statement("DROP FUNCTION IF EXISTS " +
                                ctx.qualifiedName(triggerFunctionName(pt.name())) + "()"));
  step.lock = triggerLock(ctx);
}

Step parentTriggerStep(const PlanContext& ctx, const PlannedTable& pt) {
  Step step = newStep(Phase::Schema, "schema/trigger/" + pt.name(), pt.name(),
                      "new rows of " + pt.name() + " get the session's tenant, else their " +
                          pt.parent + " row's tenant, else the default tenant (trigger)");
  const std::string col = "NEW." + ctx.column();
  std::string function = functionHeader(ctx, pt, false) + " BEGIN";
  function += " IF " + col + " IS NULL THEN " + col + " := NULLIF(current_setting(" +
              quoteLiteral(ctx.spec.tenant.setting) + ", true), '')::" + ctx.idType + "; END IF;";
  function += " IF " + col + " IS NULL THEN SELECT p." + ctx.column() + " INTO " + col + " FROM " +
              ctx.qualifiedName(pt.parent) + " p WHERE " +
              joinedConditions(pt.referencedColumns, pt.via, "p.", "NEW.") + "; END IF;";
  function += fallbacks(ctx, false) + " RETURN NEW; END " + kBody;
  addTrigger(ctx, pt, function, pt.via, step);
  return step;
}

Step columnTriggerStep(const PlanContext& ctx, const PlannedTable& pt) {
  Step step = newStep(Phase::Schema, "schema/trigger/" + pt.name(), pt.name(),
                      "new rows of " + pt.name() + " get the tenant in their column " + pt.column +
                          " (creating the tenants row when missing), else the session's, else the "
                          "default (trigger)");
  const std::string col = "NEW." + ctx.column();
  const std::string source = "NEW." + quoteIdent(pt.column);
  const TenantsRow row = tenantsRowFromId(ctx, source + "::" + ctx.idType);
  // SECURITY DEFINER: the application role needs no privilege on the tenants table.
  std::string function = functionHeader(ctx, pt, true) + " BEGIN";
  function += " IF " + col + " IS NULL AND " + source + " IS NOT NULL THEN INSERT INTO " +
              ctx.qualifiedName(ctx.tenants.name) + " (" + row.columns + ") VALUES (" + row.values +
              ") ON CONFLICT DO NOTHING; " + col + " := " + source + "::" + ctx.idType +
              "; END IF;";
  function += fallbacks(ctx, true) + " RETURN NEW; END " + kBody;
  addTrigger(ctx, pt, function, {pt.column}, step);
  return step;
}

}  // namespace

TenantsRow tenantsRowFromId(const PlanContext& ctx, const std::string& idExpr) {
  TenantsRow row{quoteIdent(ctx.tenants.idColumn), idExpr};
  if (ctx.tenants.hasSlug) {
    row.columns += ", slug";
    row.values += ", (" + idExpr + ")::text";
  }
  if (ctx.tenants.hasName) {
    row.columns += ", name";
    row.values += ", 'Tenant ' || (" + idExpr + ")::text";
  }
  return row;
}

void addSchemaSteps(const PlanContext& ctx, std::vector<Step>& steps) {
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
      if (pt.table->partitioned) {
        // PostgreSQL 15 cannot add a NOT VALID foreign key to a partitioned table: one per
        // partition instead.
        for (const Table* partition : pt.partitions) {
          steps.push_back(
              fkStep(ctx, "schema/fk/" + pt.name() + "/" + partition->name, partition->name));
        }
      } else {
        steps.push_back(fkStep(ctx, "schema/fk/" + pt.name(), pt.name()));
      }
    }
    switch (pt.kind) {
      case Kind::Default:
        steps.push_back(defaultStep(ctx, pt));
        break;
      case Kind::Parent:
        steps.push_back(parentTriggerStep(ctx, pt));
        break;
      case Kind::Column:
        steps.push_back(columnTriggerStep(ctx, pt));
        break;
    }
  }
}

}  // namespace tenantshift::plan
