#include "verify/foreign_key_checks.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"
#include "verify/spec_lines.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

std::string samplesText(const ForeignKeyObservation& seen) {
  std::vector<std::string> items;
  for (const CrossTenantSample& sample : seen.samples) {
    items.push_back(sample.child + " -> " + sample.parent);
  }
  return items.empty() ? std::string() : " (for example " + joined(items, "; ") + ")";
}

}  // namespace

bool enforcedByDatabase(const ForeignKeyFacts& fk, const std::string& childTenantColumn,
                        const std::string& parentTenantColumn) {
  if (!fk.validated) {
    return false;
  }
  for (std::size_t i = 0; i < fk.columns.size() && i < fk.referencedColumns.size(); ++i) {
    if (fk.columns[i] == childTenantColumn && fk.referencedColumns[i] == parentTenantColumn) {
      return true;
    }
  }
  return false;
}

bool crossTenantAccepted(const api::MigrationSpec& spec, const plan::Plan& plan,
                         const std::string& table, const std::string& fk) {
  if (contains(tableList(spec, table, &api::TableSpec::crossTenantRefs), fk)) {
    return true;
  }
  const plan::TableDecision* decision = plan.findDecision(table);
  return decision != nullptr && contains(decision->crossTenantRefs, fk);
}

CheckResult checkForeignKey(const api::MigrationSpec& spec, const plan::Plan& plan,
                            const ForeignKeyObservation& seen) {
  const std::string fk = quoteIdent(seen.fk.name);
  const std::string what = "foreign key " + fk + " (" + joined(seen.fk.columns) + ") -> " +
                           seen.parent + " (" + joined(seen.fk.referencedColumns) + ")";
  const bool accepted = crossTenantAccepted(spec, plan, seen.table, seen.fk.name);
  const std::string field = tableFieldPath(spec, seen.table, "crossTenantRefs");
  if (seen.enforced && !accepted) {
    return result("data.foreign-key", seen.relation, CheckOutcome::Passed,
                  what +
                      " includes the tenant column on both sides and is validated: the "
                      "database keeps every row in its parent's tenant");
  }
  if (!seen.ran) {
    return result("data.foreign-key", seen.relation, CheckOutcome::Failed,
                  "isolation not proven: rows of " + what +
                      " that reference another tenant's row could not be counted: " + seen.error);
  }
  const std::string counted = std::to_string(seen.crossTenant) + " rows of " + seen.relation +
                              " reference a " + seen.parent + " row of another tenant through " +
                              what + samplesText(seen);
  if (accepted) {
    return exposureResult("data.foreign-key", seen.relation, CheckOutcome::Accepted,
                          counted + "; cross-tenant references are accepted for it, so the " +
                              "referencing tenant can learn that the referenced row exists",
                          field);
  }
  if (seen.crossTenant == 0) {
    return result("data.foreign-key", seen.relation, CheckOutcome::Passed,
                  "no row crosses tenants through " + what +
                      (seen.fk.validated ? "" : " (the foreign key is NOT VALID)"));
  }
  return result("data.foreign-key", seen.relation, CheckOutcome::Failed,
                counted +
                    ": each such row is visible to its own tenant but points at a row its tenant "
                    "cannot see. Fix the rows (or the backfill's derivation: spec.tables[].from) "
                    "and run verify again; if these references are legitimate, " +
                    tableFieldLine(spec, seen.table, "crossTenantRefs", seen.fk.name));
}

}  // namespace tenantshift::verify
