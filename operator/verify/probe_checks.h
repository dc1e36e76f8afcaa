#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// How one probe statement ended.
struct StatementResult {
  bool ran = false;
  std::size_t affected = 0;
  std::string sqlstate;  // of the error, when there was one
  std::string error;     // its first line, with the SQLSTATE

  bool failed() const { return !error.empty(); }
  // insufficient_privilege: a policy's WITH CHECK (or USING for ON CONFLICT), or a privilege.
  bool refused() const { return sqlstate == "42501"; }
};

// What the isolation probes of one relation saw. The probe row R belongs to tenant X; the
// other-tenant probes run with tenant Y set (a tenant with rows in the relation when there is
// one, else another tenant of the tenants table, else an id no tenant has), the move probe
// with X set.
struct ProbeObservation {
  bool ran = false;
  std::string notProven;      // why the probes could not run
  bool empty = false;         // no row with a tenant to probe
  std::string rowTenant;      // X
  std::string sessionTenant;  // Y
  std::string row;            // R, for people: "(id)=(5)"
  AppAccess access;
  // SELECT with Y set: rows of other tenants visible, and R visible by its ctid.
  std::string selectError;
  std::int64_t othersVisible = 0;
  std::int64_t rowVisible = 0;
  std::int64_t visible = 0;
  StatementResult update;      // UPDATE R (by its ctid) with Y set
  StatementResult remove;      // DELETE R (by its ctid) with Y set
  StatementResult insert;      // INSERT a copy of R with Y set
  StatementResult onConflict;  // INSERT a copy of R for Y, ON CONFLICT (R's key) DO UPDATE
  std::string conflictTarget;  // the key it names; "" when the relation has none usable
  bool rowChangedByConflict = false;
  StatementResult move;  // UPDATE R (by its ctid) to Y with X set
  // Statements that read no column, so that only the UPDATE / DELETE policies (not SELECT's)
  // stand in their way: with Z (a tenant without rows in the relation) set, UPDATE ... SET
  // tenant = Z and DELETE of every row must reach none; with X set, UPDATE ... SET tenant = Y
  // of every row must be refused.
  std::string blindTenant;  // Z
  StatementResult blindUpdate;
  StatementResult blindRemove;
  StatementResult blindMove;
};

// isolation.select, isolation.update, isolation.delete, isolation.insert, isolation.on-conflict,
// isolation.update-move; "isolation" Failed ("isolation not proven: ...") when they could not
// run. An empty relation is judged by checkEmptyTable.
std::vector<CheckResult> checkProbes(const RelationFacts& relation, const std::string& specSchema,
                                     const ProbeObservation& seen);

}  // namespace tenantshift::verify
