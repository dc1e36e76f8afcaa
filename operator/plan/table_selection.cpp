#include "plan/table_selection.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "api/joined.h"
#include "api/spec_error.h"
#include "plan/sql_identifier.h"
#include "plan/tenant_type.h"
#include "plan/tenants_rows.h"

namespace tenantshift::plan {

using api::joined;

namespace {

std::string indexed(const std::string& field, std::size_t index) {
  return field + "[" + std::to_string(index) + "]";
}

std::string unknownTable(const PlanContext& ctx, const std::string& name) {
  std::vector<std::string> known;
  for (const auto& table : ctx.catalog.tables) {
    if (!table.partitionOf) {
      known.push_back(table.name);
    }
  }
  return "unknown table '" + name + "' in schema '" + ctx.schema +
         "' (tables: " + (known.empty() ? std::string("none") : joined(known)) + ")";
}

void checkAppRole(const PlanContext& ctx) {
  const auto& role = ctx.spec.database.appRole;
  if (role.empty()) {
    throw api::SpecError("spec.database.appRole",
                         "is required: name the role the application logs in as, the role "
                         "row-level security must apply to");
  }
  if (!ctx.catalog.appRole) {
    throw api::SpecError("spec.database.appRole",
                         "role '" + role +
                             "' does not exist in the database: create it, or name the role the "
                             "application logs in as");
  }
  if (ctx.catalog.appRole->superuser || ctx.catalog.appRole->bypassRls) {
    throw api::SpecError("spec.database.appRole",
                         "role '" + role + "' is " +
                             (ctx.catalog.appRole->superuser ? "a superuser" : "BYPASSRLS") +
                             ": row-level security never applies to it; let the application log "
                             "in as an ordinary role (NOSUPERUSER NOBYPASSRLS)");
  }
}

// tenantshift inserts rows into the tenants table as its own role: the default tenant's (schema
// phase), the backfill's, and those its SECURITY DEFINER trigger creates for a new value of a
// tenant column while the application writes. An INSERT trigger of that table whose function the
// application role may replace would run the application's code with tenantshift's privileges,
// whenever the application writes a new value.
void refuseReplaceableInsertTriggers(const PlanContext& ctx, const Table& table) {
  for (const Trigger& trigger : table.triggers) {
    if (trigger.enabled == 'D' || !trigger.onInsert || !trigger.appCanReplaceFunction) {
      continue;
    }
    throw api::SpecError(
        "spec.tenant.table",
        "existing table '" + table.name + "' has the INSERT trigger '" + trigger.name +
            "', whose function " + trigger.function + " is owned by " + trigger.functionOwner +
            ", a role " + ctx.spec.database.appRole +
            " is a member of: the application could replace that function, and tenantshift "
            "inserts tenants rows with its own privileges (the default tenant, the backfill, and "
            "a new tenant value the application writes), so the application's code would run "
            "with them; give the function an owner the application is not a member of "
            "(ALTER FUNCTION " +
            trigger.function + " OWNER TO ...) or drop the trigger, then run again");
  }
}

TenantsTable describeTenantsTable(const PlanContext& ctx) {
  const std::string field = "spec.tenant.table";
  TenantsTable tenants;
  tenants.name = ctx.spec.tenant.table;
  if (tenants.name.empty()) {
    throw api::SpecError(field, "is required: the table holding one row per tenant");
  }
  const Table* table = ctx.catalog.findTable(tenants.name);
  if (table == nullptr) {
    tenants.created = true;
    return tenants;
  }
  if (table->partitioned || table->partitionOf) {
    throw api::SpecError(field, "existing table '" + tenants.name +
                                    "' is partitioned: use an ordinary table for tenants");
  }
  if (table->primaryKey.size() != 1) {
    throw api::SpecError(field, "existing table '" + tenants.name +
                                    "' must have a single-column primary key (the tenant id) "
                                    "to be reused; name another table to have it created");
  }
  tenants.idColumn = table->primaryKey.front();
  const Column* id = table->findColumn(tenants.idColumn);
  if (id == nullptr || !compatibleWithIdType(id->type, ctx.spec.tenant.idType)) {
    throw api::SpecError(field, "primary key column '" + tenants.idColumn +
                                    "' of existing table '" + tenants.name + "' is of type " +
                                    (id ? id->type : std::string("unknown")) +
                                    ", which does not match spec.tenant.idType " + ctx.idType);
  }
  refuseReplaceableInsertTriggers(ctx, *table);
  tenants.table = table;
  tenants.hasSlug = table->findColumn("slug") != nullptr;
  tenants.hasName = table->findColumn("name") != nullptr;
  // The default tenant's row is written with the spec's slug and name: they must fit.
  const auto& defaults = ctx.spec.tenant.defaultTenant;
  for (const auto& [column, value, fieldName] :
       {std::tuple{"slug", defaults.slug, "slug"}, std::tuple{"name", defaults.name, "name"}}) {
    const Column* c = table->findColumn(column);
    if (c != nullptr && c->maxLength > 0 && static_cast<int>(value.size()) > c->maxLength) {
      throw api::SpecError(std::string("spec.tenant.default.") + fieldName,
                           "\"" + value + "\" is longer than column '" + column + "' of '" +
                               tenants.name + "' (" + c->type + "): give a shorter value");
    }
  }
  return tenants;
}

}  // namespace

void selectTables(PlanContext& ctx) {
  const auto& spec = ctx.spec;
  const auto& catalog = ctx.catalog;
  checkAppRole(ctx);
  if (!catalog.schema.empty() && catalog.schema != ctx.schema) {
    throw api::SpecError(
        "spec.database.schema",
        "the catalog was read from schema '" + catalog.schema + "', not '" + ctx.schema + "'");
  }
  if (spec.tenant.column.empty()) {
    throw api::SpecError("spec.tenant.column", "is required: the tenant column's name");
  }
  ctx.tenants = describeTenantsTable(ctx);
  checkNewTenantRow(ctx);

  for (std::size_t i = 0; i < spec.exclude.size(); ++i) {
    if (catalog.findTable(spec.exclude[i]) == nullptr) {
      throw api::SpecError(indexed("spec.exclude", i), unknownTable(ctx, spec.exclude[i]));
    }
  }

  std::vector<PlannedTable> planned;
  if (spec.tables) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < spec.tables->size(); ++i) {
      const auto& entry = (*spec.tables)[i];
      const std::string field = indexed("spec.tables", i) + ".name";
      if (entry.name.empty()) {
        throw api::SpecError(field, "is required");
      }
      const Table* table = catalog.findTable(entry.name);
      if (table == nullptr) {
        throw api::SpecError(field, unknownTable(ctx, entry.name));
      }
      if (entry.name == ctx.tenants.name) {
        throw api::SpecError(field, "'" + entry.name +
                                        "' is the tenants table (spec.tenant.table); it gets no "
                                        "tenant column");
      }
      if (table->partitionOf) {
        throw api::SpecError(field, "'" + entry.name + "' is a partition of '" +
                                        *table->partitionOf + "': list '" + *table->partitionOf +
                                        "' instead; its partitions are converted with it");
      }
      if (!seen.insert(entry.name).second) {
        throw api::SpecError(field, "table '" + entry.name + "' is listed twice");
      }
      auto excluded = std::find(spec.exclude.begin(), spec.exclude.end(), entry.name);
      if (excluded != spec.exclude.end()) {
        throw api::SpecError(
            indexed("spec.exclude", static_cast<std::size_t>(excluded - spec.exclude.begin())),
            "table '" + entry.name + "' is both listed in spec.tables and excluded: remove one");
      }
      PlannedTable pt;
      pt.table = table;
      pt.tableSpec = &entry;
      pt.specIndex = static_cast<int>(i);
      planned.push_back(pt);
    }
  }
  // Every table of the schema is tenant data unless excluded: spec.tables only configures the
  // ones it lists. Leaving an unlisted table without RLS would silently leave it shared.
  for (const auto& table : catalog.tables) {
    if (table.partitionOf || table.name == ctx.tenants.name || spec.isExcluded(table.name) ||
        spec.findTable(table.name) != nullptr) {
      continue;
    }
    PlannedTable pt;
    pt.table = &table;
    planned.push_back(pt);
  }
  std::sort(planned.begin(), planned.end(),
            [](const PlannedTable& a, const PlannedTable& b) { return a.name() < b.name(); });
  if (planned.empty()) {
    throw api::SpecError(spec.tables ? "spec.tables" : "spec.exclude",
                         "leaves no table to convert in schema '" + ctx.schema + "'");
  }

  for (auto& pt : planned) {
    const Table& table = *pt.table;
    pt.partitions = catalog.partitionsOf(table.name);
    for (const Table* partition : pt.partitions) {
      ctx.notes.push_back("partition '" + partition->name +
                          "' is covered by its partitioned table '" + table.name +
                          "': the tenant column and its values come from the parent's steps");
    }
    pt.existingColumn = table.findColumn(spec.tenant.column);
    if (pt.existingColumn) {
      if (pt.existingColumn->generated) {
        throw api::SpecError("spec.tenant.column", "column '" + spec.tenant.column + "' of '" +
                                                       table.name +
                                                       "' is a generated column: it cannot be "
                                                       "assigned; rename the tenant column");
      }
      if (!compatibleWithIdType(pt.existingColumn->type, spec.tenant.idType)) {
        throw api::SpecError("spec.tenant.idType",
                             "table '" + table.name + "' already has column '" +
                                 spec.tenant.column + "' of type " + pt.existingColumn->type +
                                 ", which does not match idType " + ctx.idType +
                                 ": change idType or spec.tenant.column");
      }
    }
    if (table.primaryKey.empty()) {
      ctx.notes.push_back("table '" + table.name +
                          "' has no primary key: it is backfilled by repeated sweeps of rows "
                          "without a tenant (no resumable cursor) and its tenant index holds "
                          "only the tenant column");
    }
    if (!table.policies.empty()) {
      ctx.notes.push_back("table '" + table.name + "' already has policies (" +
                          joined(table.policies) +
                          "): permissive policies are OR-ed with the tenant policies and can "
                          "let rows of other tenants through; review them");
    }
  }
  ctx.tables = std::move(planned);
}

}  // namespace tenantshift::plan
