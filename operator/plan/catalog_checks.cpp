#include "plan/catalog_checks.h"

namespace tenantshift::plan {

namespace {

constexpr const char* kIndexLeadsWithTenant =
    "EXISTS (SELECT FROM pg_catalog.pg_index i "
    "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
    "WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3)";

constexpr const char* kValidIndex =
    "EXISTS (SELECT FROM pg_catalog.pg_index i "
    "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relname = $2 AND i.indisvalid)";

}  // namespace

Statement statement(std::string sql, std::vector<std::string> params) {
  return Statement{std::move(sql), std::move(params)};
}

Statement concurrentIndexStatement(std::string sql) {
  Statement out{std::move(sql), {}};
  out.concurrentIndex = true;
  return out;
}

Statement constraintExists(const PlanContext& ctx, const std::string& table,
                           const std::string& constraint) {
  return statement(
      "SELECT EXISTS (SELECT FROM pg_catalog.pg_constraint "
      "WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2)",
      {ctx.regclassText(table), constraint});
}

Statement validIndexExists(const PlanContext& ctx, const std::string& index) {
  return statement(std::string("SELECT ") + kValidIndex, {ctx.schema, index});
}

Statement indexLeadsWithTenant(const PlanContext& ctx, const std::string& index) {
  return statement(std::string("SELECT ") + kIndexLeadsWithTenant,
                   {ctx.schema, index, ctx.spec.tenant.column});
}

Statement validIndexOrKeyLeadsWithTenant(const PlanContext& ctx, const std::string& index,
                                         const std::string& key) {
  std::string leads = kIndexLeadsWithTenant;
  // Second use: the key's name is $4 and the tenant column $3.
  leads.replace(leads.find("c.relname = $2"), 14, "c.relname = $4");
  return statement(std::string("SELECT ") + kValidIndex + " OR " + leads,
                   {ctx.schema, index, ctx.spec.tenant.column, key});
}

Statement tenantColumnNotNull(const PlanContext& ctx, const std::string& table) {
  return statement(
      "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute "
      "WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $2 AND attnotnull "
      "AND NOT attisdropped)",
      {ctx.regclassText(table), ctx.spec.tenant.column});
}

Statement checkExistsOrTenantNotNull(const PlanContext& ctx, const std::string& table,
                                     const std::string& check) {
  return statement(
      "SELECT EXISTS (SELECT FROM pg_catalog.pg_constraint "
      "WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2) "
      "OR EXISTS (SELECT FROM pg_catalog.pg_attribute "
      "WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $3 AND attnotnull "
      "AND NOT attisdropped)",
      {ctx.regclassText(table), check, ctx.spec.tenant.column});
}

}  // namespace tenantshift::plan
