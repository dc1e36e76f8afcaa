#include "verify/data_checks.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

std::vector<CheckResult> checkData(const RelationFacts& relation, const std::string& specSchema,
                                   const std::string& tenantsTable,
                                   const std::optional<std::int64_t>& baseline,
                                   const DataObservation& seen) {
  std::vector<CheckResult> out;
  const std::string name = relation.label(specSchema);
  const std::string column = quoteIdent(relation.tenantColumn);
  if (!seen.ran) {
    out.push_back(result(
        "data.counts", name, CheckOutcome::Failed,
        "isolation not proven: the rows of " + name + " could not be counted: " + seen.error));
    return out;
  }
  if (relation.kind == RelationKind::TenantTable) {
    if (!baseline) {
      out.push_back(result("data.row-count", name, CheckOutcome::Warning,
                           "no pre-migration row count was recorded for this table; it now holds " +
                               std::to_string(seen.rows) + " rows"));
    } else if (*baseline == seen.rows) {
      out.push_back(result("data.row-count", name, CheckOutcome::Passed,
                           std::to_string(seen.rows) + " rows, as before the migration"));
    } else {
      out.push_back(result("data.row-count", name, CheckOutcome::Warning,
                           std::to_string(seen.rows) + " rows now, " + std::to_string(*baseline) +
                               " before the migration (the application may have written "
                               "meanwhile; check if it was stopped)"));
    }
  }
  if (seen.nullTenants == 0) {
    out.push_back(
        result("data.null-tenant", name, CheckOutcome::Passed, "no row has a NULL " + column));
  } else {
    out.push_back(result("data.null-tenant", name, CheckOutcome::Failed,
                         std::to_string(seen.nullTenants) + " rows have a NULL " + column +
                             " and belong to no tenant: resume the backfill (tenantshift run) "
                             "before the constraints and enforce steps"));
  }
  if (relation.kind != RelationKind::TenantsTable) {
    if (seen.missingTenants == 0) {
      out.push_back(result("data.missing-tenant", name, CheckOutcome::Passed,
                           "every " + column + " exists in " + tenantsTable));
    } else {
      out.push_back(result("data.missing-tenant", name, CheckOutcome::Failed,
                           std::to_string(seen.missingTenants) + " rows have a " + column +
                               " missing from " + tenantsTable +
                               ": create those tenants (or fix the rows), then validate the "
                               "tenant foreign key (run the constraints phase)"));
    }
  }
  if (!seen.appProbed) {
    return out;  // the app role cannot be assumed: reported once by role.assumable
  }
  if (!seen.appCanSelect) {
    out.push_back(result("data.tenant-sum", name, CheckOutcome::Passed,
                         "the app role has no SELECT privilege on " + name));
    return out;
  }
  std::vector<std::string> mismatches;
  std::vector<std::string> matches;
  std::int64_t probed = 0;
  for (const TenantVisibility& tenant : seen.perTenant) {
    if (!tenant.error.empty()) {
      mismatches.push_back("with tenant " + tenant.tenant +
                           " set, SELECT count(*) fails: " + tenant.error);
    } else if (tenant.visible != tenant.expected) {
      mismatches.push_back("with tenant " + tenant.tenant + " set the app role sees " +
                           std::to_string(tenant.visible) + " rows, but the table holds " +
                           std::to_string(tenant.expected) + " rows of that tenant");
    } else {
      matches.push_back(tenant.tenant + ": " + std::to_string(tenant.visible));
      probed += tenant.visible;
    }
  }
  if (!mismatches.empty()) {
    out.push_back(result("data.tenant-sum", name, CheckOutcome::Failed,
                         joined(mismatches, "; ") +
                             ": each row must be visible to exactly its own tenant; check the "
                             "policies on " +
                             name));
  } else if (seen.perTenant.empty()) {
    out.push_back(result("data.tenant-sum", name, CheckOutcome::Passed,
                         "no row has a tenant yet, so there is no tenant to count"));
  } else {
    out.push_back(result(
        "data.tenant-sum", name, CheckOutcome::Passed,
        "with each of the " + std::to_string(seen.perTenant.size()) +
            " largest tenants set, the app role sees exactly that tenant's rows (" +
            joined(matches) + "; " + std::to_string(probed) + " of " + std::to_string(seen.rows) +
            " rows, " + std::to_string(seen.tenants) + " tenants)"));
  }
  return out;
}

}  // namespace tenantshift::verify
