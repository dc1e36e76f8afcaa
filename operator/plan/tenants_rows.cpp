#include "plan/tenants_rows.h"

#include <algorithm>

#include "api/spec_error.h"
#include "plan/catalog_checks.h"
#include "plan/sql_identifier.h"

namespace tenantshift::plan {

namespace {

using Kind = api::TenantSource::Kind;

constexpr const char* kNewTenantRowField = "spec.tenant.newTenantRow";

// Columns whose value is unique on its own: another tenant's value cannot be copied.
bool uniqueOnItsOwn(const Table& table, const std::string& column) {
  return std::any_of(table.uniqueKeys.begin(), table.uniqueKeys.end(), [&](const UniqueKey& key) {
    return key.columns.size() == 1 && key.columns.front() == column && key.predicate.empty();
  });
}

const std::string* templateFor(const PlanContext& ctx, const std::string& column) {
  for (const auto& [name, value] : ctx.spec.tenant.newTenantRow) {
    if (name == column) {
      return &value;
    }
  }
  return nullptr;
}

// The id spelled in letters: digits as a-j, a uuid's hex letters a-f as k-p, a uuid's dashes
// dropped (they are at the same places in every uuid), a negative bigint's minus sign as q. One
// letter per character otherwise, so distinct ids stay distinct (-42 is qec, 42 is ec).
std::string idLetters(const std::string& idText) {
  return "pg_catalog.translate(pg_catalog.regexp_replace(" + idText +
         ", '^-', 'q'), '0123456789abcdef-', 'abcdefghijklmnop')";
}

// A value template as a text expression: its literal parts quoted, {id} and {id:letters} the id.
std::string templateValue(const std::string& text, const std::string& idText) {
  std::string out;
  auto append = [&](const std::string& part) { out += (out.empty() ? "" : " || ") + part; };
  std::size_t from = 0;
  while (from < text.size()) {
    const std::size_t id = text.find("{id}", from);
    const std::size_t letters = text.find("{id:letters}", from);
    const std::size_t next = std::min(id, letters);
    if (next == std::string::npos) {
      append(quoteLiteral(text.substr(from)));
      break;
    }
    if (next > from) {
      append(quoteLiteral(text.substr(from, next - from)));
    }
    append(next == letters ? idLetters(idText) : idText);
    from =
        next + (next == letters ? std::string("{id:letters}").size() : std::string("{id}").size());
  }
  return out.empty() ? "''" : "(" + out + ")";
}

// The value of `column` for the new row: text cut to its width, anything else cast to its type.
std::string columnValue(const Column& column, const std::string& textExpr) {
  if (column.textLike) {
    return fittedText(textExpr, column.maxLength);
  }
  return textExpr + "::" + column.type;
}

// The columns of the tenants table the plan creates (id, slug text, name text, created_at).
const std::vector<Column>& createdTenantsColumns() {
  static const std::vector<Column> columns = [] {
    std::vector<Column> out(3);
    out[0].name = "slug";
    out[1].name = "name";
    for (int i = 0; i < 2; ++i) {
      out[i].type = "text";
      out[i].notNull = true;
      out[i].textLike = true;
    }
    out[2].name = "created_at";
    out[2].type = "timestamp with time zone";
    out[2].notNull = true;
    out[2].defaultExpr = "now()";
    return out;
  }();
  return columns;
}

// A fresh id for a preflight row (never an existing tenant's).
std::string sampleId(const PlanContext& ctx) {
  const std::string id = quoteIdent(ctx.tenants.idColumn);
  if (ctx.spec.tenant.idType == api::TenantIdType::Bigint) {
    return "(SELECT COALESCE(max(t." + id + "), 0) + 1 FROM " +
           ctx.qualifiedName(ctx.tenants.name) + " t)";
  }
  if (ctx.spec.tenant.idType == api::TenantIdType::Uuid) {
    return "md5(random()::text)::uuid";
  }
  const Column* column = ctx.tenants.table->findColumn(ctx.tenants.idColumn);
  const int width = column != nullptr && column->maxLength > 0 ? column->maxLength : 32;
  return "left(md5(random()::text), " + std::to_string(width) + ")";
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

TenantsRow tenantsRowFromId(const PlanContext& ctx, const std::string& idExpr, bool disambiguated) {
  TenantsRow row{quoteIdent(ctx.tenants.idColumn), idExpr, false};
  const std::string idText = "(" + idExpr + ")::text";
  const std::vector<Column>& columns =
      ctx.tenants.table == nullptr ? createdTenantsColumns() : ctx.tenants.table->columns;
  for (const Column& column : columns) {
    if (column.name == ctx.tenants.idColumn || column.generated || column.identity) {
      continue;
    }
    const bool required = column.notNull && !column.defaultExpr;
    const bool unique = ctx.tenants.table == nullptr
                            ? column.name == "slug"
                            : uniqueOnItsOwn(*ctx.tenants.table, column.name);
    // A slug, and any other required text column that must be unique: the id as text.
    const bool idAsText =
        column.textLike && (column.name == "slug" || (required && column.name != "name" && unique));
    std::string text;  // the value as text, before it is fitted or cast
    if (const std::string* given = templateFor(ctx, column.name)) {
      text = templateValue(*given, idText);
    } else if (idAsText) {
      text = idText;
    } else if (column.name == "name" && column.textLike) {
      text = "('Tenant ' || " + idText + ")";
    } else if (!required) {
      continue;  // its default (or NULL) will do
    }
    std::string value;
    if (text.empty()) {
      value = "d." + quoteIdent(column.name);
      row.fromDefaultRow = true;
    } else {
      if (disambiguated && unique && column.textLike) {
        text = "(" + text + " || '-' || left(md5(" + idText + " || clock_timestamp()::text), 6))";
      }
      value = columnValue(column, text);
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

std::string onExistingTenant(const PlanContext& ctx) {
  return " ON CONFLICT (" + quoteIdent(ctx.tenants.idColumn) + ") DO NOTHING";
}

std::string tenantsFromColumnSql(const PlanContext& ctx, const PlannedTable& pt) {
  const std::string source = "s." + quoteIdent(pt.column) + "::" + ctx.idType;
  const TenantsRow row = tenantsRowFromId(ctx, source);
  // Only the values without a tenants row: PostgreSQL checks a row's CHECK constraints before
  // ON CONFLICT finds the existing one, so an existing tenant's generated row must not be formed.
  return "INSERT INTO " + ctx.qualifiedName(ctx.tenants.name) + " (" + row.columns +
         ") SELECT DISTINCT " + row.values + " FROM " + ctx.qualifiedName(pt.name()) + " s" +
         defaultRowSource(ctx, row, "JOIN") + " WHERE s." + quoteIdent(pt.column) +
         " IS NOT NULL AND NOT EXISTS (SELECT FROM " + ctx.qualifiedName(ctx.tenants.name) +
         " e WHERE e." + quoteIdent(ctx.tenants.idColumn) + " = " + source + ")" +
         onExistingTenant(ctx);
}

void checkNewTenantRow(const PlanContext& ctx) {
  const std::vector<Column>& columns =
      ctx.tenants.table == nullptr ? createdTenantsColumns() : ctx.tenants.table->columns;
  for (const auto& entry : ctx.spec.tenant.newTenantRow) {
    const std::string& name = entry.first;
    const std::string& value = entry.second;
    const std::string field = std::string(kNewTenantRowField) + "." + name;
    if (name == ctx.tenants.idColumn) {
      throw api::SpecError(field, "is the tenant id column of '" + ctx.tenants.name +
                                      "': the id is the tenant's, it takes no template");
    }
    const auto column = std::find_if(columns.begin(), columns.end(),
                                     [&](const Column& c) { return c.name == name; });
    if (column == columns.end()) {
      std::string known;
      for (const Column& c : columns) {
        if (c.name != ctx.tenants.idColumn) {
          known += (known.empty() ? "" : ", ") + c.name;
        }
      }
      throw api::SpecError(field, "'" + ctx.tenants.name + "' has no column '" + name +
                                      "' (its columns: " + known + ")");
    }
    if (column->generated || column->identity) {
      throw api::SpecError(field, "column '" + name + "' of '" + ctx.tenants.name + "' is " +
                                      (column->generated ? "generated" : "an identity column") +
                                      ": it cannot be given a value");
    }
    const bool unique =
        ctx.tenants.table == nullptr ? name == "slug" : uniqueOnItsOwn(*ctx.tenants.table, name);
    if (unique && value.find("{id") == std::string::npos) {
      throw api::SpecError(field, "column '" + name + "' of '" + ctx.tenants.name +
                                      "' is unique, and \"" + value +
                                      "\" would give every new tenant the same value: include "
                                      "{id} or {id:letters}");
    }
  }
}

std::vector<Preflight> tenantsRowPreflights(const PlanContext& ctx) {
  std::vector<Preflight> out;
  if (ctx.tenants.table == nullptr) {
    return out;  // the plan creates the tenants table: its rows fit by construction
  }
  const std::string hint =
      "Say how a new tenant's row is filled in " + std::string(kNewTenantRowField) +
      " (a value per column; {id} is the new tenant's id, {id:letters} the id in letters a-p), "
      "e.g. newTenantRow: {slug: \"t{id:letters}\", name: \"Tenant {id}\"}; or give the "
      "column a default, or create those tenants rows before the migration";
  for (const PlannedTable& pt : ctx.tables) {
    if (pt.kind != Kind::Column) {
      continue;
    }
    const std::string source = pt.name() + "." + pt.column;
    out.push_back(Preflight{"the tenants rows for the values of " + source +
                                " that have none (the backfill creates them)",
                            kNewTenantRowField, hint, statement(tenantsFromColumnSql(ctx, pt))});
    const TenantsRow row = tenantsRowFromId(ctx, "s.id");
    out.push_back(
        Preflight{"a tenants row for a new value of " + source +
                      " (the trigger creates it when the application writes a value without one)",
                  kNewTenantRowField, hint,
                  statement("INSERT INTO " + ctx.qualifiedName(ctx.tenants.name) + " (" +
                            row.columns + ") SELECT " + row.values + " FROM (SELECT " +
                            sampleId(ctx) + " AS id) s" + defaultRowSource(ctx, row, "JOIN"))});
  }
  return out;
}

}  // namespace tenantshift::plan
