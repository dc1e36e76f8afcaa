#pragma once

#include <string>
#include <vector>

#include "plan/planning_context.h"
#include "plan/step.h"

namespace tenantshift::plan {

// A foreign key between two tenant tables rewritten as (tenant, fk) -> parent (tenant, key), so
// that a row can only reference a parent row of its own tenant: an FK check bypasses row-level
// security, so a single-column key would let tenant A reference (and so detect, pin and
// cascade-delete) tenant B's rows. Foreign keys accepted as cross-tenant keep their form.
struct TenantConsistentFk {
  const PlannedTable* child = nullptr;
  const ForeignKey* fk = nullptr;
  const PlannedTable* parent = nullptr;
  std::string parentKeyIndex;    // the parent's unique (tenant, key) index
  bool parentKeyExists = false;  // the parent already has it
  std::string name;              // the new constraint while the original exists
  std::string definition;        // FOREIGN KEY (...) REFERENCES ... (what follows the name)
  bool keepOriginal = false;     // a MATCH FULL multi-column original stays alongside
  // Added (NOT VALID) in the schema phase rather than the constraints phase: only for the key a
  // table without a tenant column of its own derives its tenant through, since only then is a
  // new row's tenant NULL (unchecked) whenever its parent's is not backfilled yet. The others
  // would refuse the application's rows that reference a parent not backfilled yet.
  bool early = false;
};

// The foreign keys the plan makes tenant-consistent (spec.tenantForeignKeys), and a note for each
// one it leaves alone and why.
std::vector<TenantConsistentFk> tenantConsistentFks(const PlanContext& ctx,
                                                    std::vector<std::string>& notes);

// Schema phase, after the tenant columns and triggers: each referenced parent's unique
// (tenant, key) index, built CONCURRENTLY, then the early foreign keys (see `early`) added NOT
// VALID, so that from now on a parent moving to another tenant takes the rows that derive their
// tenant from it along (ON UPDATE CASCADE on the derivation's key).
void addTenantFkSchemaSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& fks,
                            std::vector<Step>& steps);

// Constraints phase, after every backfill: the early foreign keys (see `early`) validated and put
// in place of their originals, under their names. They break nothing the unchanged application
// does: a row's tenant follows that key (the trigger re-derives it when the row moves to
// another parent, ON UPDATE CASCADE takes the rows along when the parent moves).
void addTenantFkConstraintSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& fks,
                                std::vector<Step>& steps);

// Flag phase, after enforcement and before the unique keys' finalize steps (a replaced foreign
// key may use a global unique key they drop): every other foreign key added NOT VALID,
// validated (a failure names the foreign key and the spec field that accepts it as a
// cross-tenant reference) and put in place of the original. Until the flag the unchanged
// application may still move a referenced row to another tenant (an inventory item to another
// branch's store while rentals reference it), which a (tenant, key) reference with NO ACTION
// would refuse; verify checks these keys by query until then. The ids start with
// "flag/finalize/", so that `rollback --scenario flag-off` undoes them after the flag is off.
void addTenantFkFlagSteps(const PlanContext& ctx, const std::vector<TenantConsistentFk>& fks,
                          std::vector<Step>& steps);

}  // namespace tenantshift::plan
