#include "verify/data_unit.h"

#include "plan/sql_identifier.h"
#include "verify/sql_support.h"
#include "verify/unit_runner.h"

namespace tenantshift::verify {

using plan::quoteIdent;

namespace {

using RepeatableRead = pqxx::transaction<pqxx::isolation_level::repeatable_read>;

std::int64_t countRows(pqxx::transaction_base& tx, const RelationFacts& relation) {
  return tx.exec_params1("SELECT count(*) FROM " + relation.qualified())[0].as<std::int64_t>();
}

// The app role's count(*) with the setting left as it is (nullopt) or set to `value`.
void appCount(pqxx::transaction_base& tx, const api::MigrationSpec& spec,
              const RelationFacts& relation, const std::optional<std::string>& value,
              std::int64_t& rows, std::string& error) {
  asApp(tx, spec.database.appRole, spec.tenant.setting, value, [&](pqxx::transaction_base& app) {
    const StatementResult counted = attempt(app, [&](pqxx::transaction_base& statement) {
      rows = countRows(statement, relation);
      return std::size_t{0};
    });
    error = counted.error;
  });
}

}  // namespace

VisibilityObservation observeUnset(pqxx::connection& connection, const VerifyOptions& options,
                                   const api::MigrationSpec& spec, const RelationFacts& relation) {
  VisibilityObservation seen;
  seen.appCanSelect = relation.app.select;
  const UnitRun run =
      runUnit(connection, options, "counting " + relation.label(spec.database.schema),
              [&](pqxx::connection& c) {
                RepeatableRead tx(c, "tenantshift_verify_unset");
                setLockTimeout(tx, spec.ddl.lockTimeout);
                seen.runnerRows = countRows(tx, relation);
                if (seen.appCanSelect) {
                  appCount(tx, spec, relation, std::nullopt, seen.appRows, seen.appError);
                }
                tx.abort();
              });
  seen.ran = run.done;
  seen.error = run.error;
  return seen;
}

DataUnitResult observeData(pqxx::connection& connection, const VerifyOptions& options,
                           const api::MigrationSpec& spec, const RelationFacts& relation,
                           const RelationFacts* tenants, bool appUsable) {
  DataUnitResult out;
  const std::string column = quoteIdent(relation.tenantColumn);
  const bool full = relation.kind != RelationKind::Partition;
  const UnitRun run = runUnit(
      connection, options, "counting " + relation.label(spec.database.schema),
      [&](pqxx::connection& c) {
        DataObservation data;
        VisibilityObservation empty;
        RepeatableRead tx(c, "tenantshift_verify_data");
        setLockTimeout(tx, spec.ddl.lockTimeout);
        if (full) {
          for (const auto& row :
               tx.exec_params("SELECT " + column + "::text, count(*) FROM " + relation.qualified() +
                              " GROUP BY 1 ORDER BY 2 DESC, 1")) {
            const auto count = row[1].as<std::int64_t>();
            data.rows += count;
            if (row[0].is_null()) {
              data.nullTenants = count;
              continue;
            }
            ++data.tenants;
            if (data.largest.size() < kSpotCheckTenants) {
              data.largest.push_back({row[0].as<std::string>(), count});
            }
          }
          if (relation.kind != RelationKind::TenantsTable && tenants != nullptr &&
              tenants->exists) {
            data.missingTenants =
                tx.exec_params1("SELECT count(*) FROM " + relation.qualified() + " AS x WHERE x." +
                                column + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " +
                                tenants->qualified() + " AS t WHERE t." +
                                quoteIdent(tenants->tenantColumn) + " = x." + column + ")")[0]
                    .as<std::int64_t>();
          }
        } else {
          data.rows = countRows(tx, relation);
        }
        empty.runnerRows = data.rows;
        empty.appCanSelect = relation.app.select;
        data.appCanSelect = relation.app.select;
        data.appProbed = appUsable;
        if (appUsable && relation.app.select) {
          appCount(tx, spec, relation, std::string(), empty.appRows, empty.appError);
          if (full) {
            for (const TenantCount& tenant : data.largest) {
              TenantVisibility visibility;
              visibility.tenant = tenant.tenant;
              visibility.expected = tenant.rows;
              appCount(tx, spec, relation, tenant.tenant, visibility.visible, visibility.error);
              data.perTenant.push_back(std::move(visibility));
            }
          }
        }
        tx.abort();
        data.ran = true;
        empty.ran = true;
        out.data = std::move(data);
        out.empty = std::move(empty);
      });
  if (!run.done) {
    out.data.ran = false;
    out.data.error = run.error;
    out.empty.ran = false;
    out.empty.error = run.error;
  }
  return out;
}

}  // namespace tenantshift::verify
