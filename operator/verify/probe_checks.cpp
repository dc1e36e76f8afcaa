#include "verify/probe_checks.h"

#include "plan/sql_identifier.h"
#include "verify/rls_checks.h"

namespace tenantshift::verify {

using plan::quoteIdent;

namespace {

class ProbeJudge {
 public:
  ProbeJudge(const RelationFacts& relation, const std::string& specSchema,
             const ProbeObservation& seen)
      : relation_(relation),
        seen_(seen),
        name_(relation.label(specSchema)),
        column_(quoteIdent(relation.tenantColumn)),
        row_("row " + seen.row + " of tenant " + seen.rowTenant) {}

  std::vector<CheckResult> run() {
    select();
    writeOther("isolation.update", "UPDATE", seen_.access.update, seen_.update, seen_.blindUpdate,
               "UPDATE ... SET " + column_ + " = " + seen_.blindTenant);
    writeOther("isolation.delete", "DELETE", seen_.access.remove, seen_.remove, seen_.blindRemove,
               "DELETE");
    insert();
    onConflict();
    move();
    return std::move(out_);
  }

 private:
  std::string withY() const { return "with tenant " + seen_.sessionTenant + " set, "; }

  std::string hint() const {
    return "policies must compare " + column_ +
           " with the session's tenant, and permissive policies are OR-ed, so one that ignores "
           "the tenant opens the table (policies on " +
           name_ + ": " + describePolicies(relation_) + ")";
  }

  void add(const std::string& check, CheckOutcome outcome, const std::string& detail) {
    out_.push_back(result(check, name_, outcome, detail));
  }

  void noPrivilege(const std::string& check, const std::string& privilege) {
    add(check, CheckOutcome::Passed, "the app role has no " + privilege + " privilege on " + name_);
  }

  // The app role may write but not read: a probe cannot address one row, so it cannot show that
  // another tenant's row is out of reach.
  void unaddressable(const std::string& check, const std::string& privilege) {
    add(check, CheckOutcome::Failed,
        "isolation not proven: the app role has " + privilege + " but no SELECT on " + name_ +
            ", so the probe cannot address one row of another tenant; GRANT SELECT (an "
            "application that writes rows reads them too) or REVOKE " +
            privilege + ", then verify again");
  }

  void select() {
    const std::string check = "isolation.select";
    if (!seen_.access.select) {
      noPrivilege(check, "SELECT");
    } else if (!seen_.selectError.empty()) {
      add(check, CheckOutcome::Failed,
          withY() + "SELECT on " + name_ + " fails: " + seen_.selectError +
              "; the application would get this error");
    } else if (seen_.othersVisible == 0 && seen_.rowVisible == 0) {
      add(check, CheckOutcome::Passed,
          withY() + "the app role sees " + std::to_string(seen_.visible) +
              " rows, none of another tenant (not " + row_ + ", not even by its ctid)");
    } else {
      add(check, CheckOutcome::Failed,
          withY() + "the app role sees " + std::to_string(seen_.othersVisible) +
              " rows of other tenants" +
              (seen_.rowVisible > 0 ? " (" + row_ + " among them)" : std::string()) + ": " +
              hint());
    }
  }

  void writeOther(const std::string& check, const std::string& verb, bool allowed,
                  const StatementResult& statement, const StatementResult& blind,
                  const std::string& blindVerb) {
    if (!allowed) {
      noPrivilege(check, verb);
      return;
    }
    if (!seen_.access.select) {
      unaddressable(check, verb);
      return;
    }
    const std::string withZ = "with tenant " + seen_.blindTenant + " (no rows) set, ";
    if (blind.failed() && !blind.refused()) {
      add(check, CheckOutcome::Failed,
          withZ + blindVerb +
              " of every row reached rows of other tenants, and only an error "
              "stopped it (" +
              blind.error + "): " + hint());
      return;
    }
    if (!blind.refused() && blind.affected > 0) {
      add(check, CheckOutcome::Failed,
          withZ + "the app role's " + blindVerb + " of every row reached " +
              std::to_string(blind.affected) + " rows of other tenants: the " + verb +
              " policy must filter (USING) on " + column_ + "; " + hint());
      return;
    }
    if (statement.refused()) {
      add(check, CheckOutcome::Passed,
          withY() + verb + " of " + row_ + " is refused (" + statement.error + "), and " + withZ +
              blindVerb + " of every row reaches none");
    } else if (statement.failed()) {
      add(check, CheckOutcome::Failed,
          withY() + verb + " reached " + row_ + " and only an error stopped it (" +
              statement.error + "): " + hint());
    } else if (statement.affected == 0) {
      add(check, CheckOutcome::Passed,
          withY() + verb + " of " + row_ + " affects no row, and " + withZ + blindVerb +
              " of every row reaches none");
    } else {
      add(check, CheckOutcome::Failed,
          withY() + "the app role's " + verb + " reached " + row_ + ": " + hint());
    }
  }

  void insert() {
    const std::string check = "isolation.insert";
    const std::string what = "inserting a copy of " + row_;
    if (!seen_.access.insert) {
      noPrivilege(check, "INSERT");
    } else if (seen_.insert.refused()) {
      add(check, CheckOutcome::Passed,
          withY() + what + " is refused by row-level security: " + seen_.insert.error);
    } else if (seen_.insert.failed()) {
      add(check, CheckOutcome::Failed,
          withY() + what + " was not stopped by row-level security but by: " + seen_.insert.error +
              "; the INSERT policy needs WITH CHECK (" + column_ + " = the session's tenant)");
    } else {
      add(check, CheckOutcome::Failed,
          withY() + "the app role inserted a row of tenant " + seen_.rowTenant +
              ": the INSERT policy needs WITH CHECK (" + column_ + " = the session's tenant); " +
              hint());
    }
  }

  void onConflict() {
    const std::string check = "isolation.on-conflict";
    if (!seen_.access.insert || !seen_.access.update) {
      add(check, CheckOutcome::Passed,
          "the app role lacks INSERT or UPDATE on " + name_ +
              ", so INSERT ... ON CONFLICT DO UPDATE cannot run");
      return;
    }
    if (!seen_.access.select) {
      unaddressable(check, "INSERT and UPDATE");
      return;
    }
    if (seen_.conflictTarget.empty()) {
      add(check, CheckOutcome::Passed,
          name_ +
              " has no unique key (without expressions or a predicate) that INSERT ... ON "
              "CONFLICT could name, so it cannot reach another tenant's row");
      return;
    }
    const std::string what =
        "INSERT ... ON CONFLICT (" + seen_.conflictTarget + ") DO UPDATE with the key of " + row_;
    if (seen_.onConflict.failed()) {
      add(check, CheckOutcome::Passed,
          withY() + what + " left it unchanged (" + seen_.onConflict.error + ")");
    } else if (seen_.rowChangedByConflict) {
      add(check, CheckOutcome::Failed,
          withY() + what +
              " updated that other tenant's row: the UPDATE policy must filter "
              "(USING) on " +
              column_ + "; " + hint());
    } else {
      add(check, CheckOutcome::Passed,
          withY() + what + " left it unchanged (no conflict: the row was inserted for tenant " +
              seen_.sessionTenant + ")");
    }
  }

  void move() {
    const std::string check = "isolation.update-move";
    const std::string withX = "with tenant " + seen_.rowTenant + " set, ";
    const std::string what = "moving its own " + row_ + " to tenant " + seen_.sessionTenant;
    if (!seen_.access.update) {
      noPrivilege(check, "UPDATE");
      return;
    }
    if (!seen_.access.select) {
      unaddressable(check, "UPDATE");
      return;
    }
    const std::string needsCheck =
        "the UPDATE policy needs WITH CHECK (" + column_ + " = the session's tenant)";
    if (!seen_.blindMove.refused() && seen_.blindMove.failed()) {
      add(check, CheckOutcome::Failed,
          withX + "UPDATE ... SET " + column_ + " = " + seen_.sessionTenant +
              " of every row was not stopped by row-level security but by: " +
              seen_.blindMove.error + "; " + needsCheck);
      return;
    }
    if (!seen_.blindMove.refused() && seen_.blindMove.affected > 0) {
      add(check, CheckOutcome::Failed,
          withX + "the app role's UPDATE ... SET " + column_ + " = " + seen_.sessionTenant +
              " (reading no column, so only the UPDATE policy applies) moved " +
              std::to_string(seen_.blindMove.affected) +
              " of its rows to another tenant: " + needsCheck);
      return;
    }
    if (seen_.move.refused()) {
      add(check, CheckOutcome::Passed, withX + what + " is refused: " + seen_.move.error);
    } else if (seen_.move.failed()) {
      add(check, CheckOutcome::Failed,
          withX + what + " was not stopped by row-level security but by: " + seen_.move.error +
              "; " + needsCheck);
    } else if (seen_.move.affected == 0) {
      add(check, CheckOutcome::Failed,
          "isolation not proven: " + withX + "the app role's UPDATE does not reach its own " +
              row_ + ", so the policies hide a tenant's own rows: " + hint());
    } else {
      add(check, CheckOutcome::Failed,
          withX + "the app role moved " + row_ + " to tenant " + seen_.sessionTenant + ": " +
              needsCheck);
    }
  }

  const RelationFacts& relation_;
  const ProbeObservation& seen_;
  const std::string name_;
  const std::string column_;
  const std::string row_;
  std::vector<CheckResult> out_;
};

}  // namespace

std::vector<CheckResult> checkProbes(const RelationFacts& relation, const std::string& specSchema,
                                     const ProbeObservation& seen) {
  if (!seen.ran) {
    return {result("isolation", relation.label(specSchema), CheckOutcome::Failed,
                   "isolation not proven: " + seen.notProven)};
  }
  return ProbeJudge(relation, specSchema, seen).run();
}

}  // namespace tenantshift::verify
