#include <gtest/gtest.h>

#include "facts_builder.h"
#include "verify/empty_table_checks.h"
#include "verify/probe_checks.h"
#include "verify/probe_unit.h"
#include "verify/scope.h"

namespace tenantshift::verify {
namespace {

StatementResult refused() {
  StatementResult out;
  out.ran = true;
  out.sqlstate = "42501";
  out.error = "new row violates row-level security policy";
  return out;
}

StatementResult affected(std::size_t rows) {
  StatementResult out;
  out.ran = true;
  out.affected = rows;
  return out;
}

ProbeObservation isolated() {
  ProbeObservation seen;
  seen.ran = true;
  seen.rowTenant = "x";
  seen.sessionTenant = "y";
  seen.blindTenant = "z";
  seen.row = "(id)=(1)";
  seen.access = {true, true, true, true};
  seen.visible = 3;
  seen.update = affected(0);
  seen.remove = affected(0);
  seen.insert = refused();
  seen.conflictTarget = "\"id\"";
  seen.onConflict = refused();
  seen.move = refused();
  seen.blindUpdate = affected(0);
  seen.blindRemove = affected(0);
  seen.blindMove = refused();
  return seen;
}

CheckOutcome outcome(const ProbeObservation& seen, const std::string& check) {
  const auto results = checkProbes(tenantTable("users"), "public", seen);
  const CheckResult* found = findResult(results, check);
  EXPECT_NE(found, nullptr) << check;
  return found == nullptr ? CheckOutcome::Failed : found->outcome;
}

TEST(ProbeChecks, IsolatedTablePassesEveryProbe) {
  const auto results = checkProbes(tenantTable("users"), "public", isolated());
  ASSERT_EQ(results.size(), 6U);
  for (const CheckResult& item : results) {
    EXPECT_EQ(item.outcome, CheckOutcome::Passed) << item.check << ": " << item.detail;
  }
}

TEST(ProbeChecks, EachLeakFailsItsProbe) {
  ProbeObservation seen = isolated();
  seen.othersVisible = 2;
  EXPECT_EQ(outcome(seen, "isolation.select"), CheckOutcome::Failed);
  seen = isolated();
  seen.rowVisible = 1;
  EXPECT_EQ(outcome(seen, "isolation.select"), CheckOutcome::Failed);
  seen = isolated();
  seen.update = affected(1);
  EXPECT_EQ(outcome(seen, "isolation.update"), CheckOutcome::Failed);
  seen = isolated();
  seen.blindUpdate = affected(4);
  EXPECT_EQ(outcome(seen, "isolation.update"), CheckOutcome::Failed);
  seen = isolated();
  seen.blindRemove.sqlstate = "23503";
  seen.blindRemove.error = "violates foreign key constraint";
  EXPECT_EQ(outcome(seen, "isolation.delete"), CheckOutcome::Failed);
  seen = isolated();
  seen.insert = affected(1);
  EXPECT_EQ(outcome(seen, "isolation.insert"), CheckOutcome::Failed);
  seen.insert.sqlstate = "23505";
  seen.insert.error = "duplicate key";
  EXPECT_EQ(outcome(seen, "isolation.insert"), CheckOutcome::Failed);
  seen = isolated();
  seen.onConflict = affected(1);
  seen.rowChangedByConflict = true;
  EXPECT_EQ(outcome(seen, "isolation.on-conflict"), CheckOutcome::Failed);
  seen.rowChangedByConflict = false;
  EXPECT_EQ(outcome(seen, "isolation.on-conflict"), CheckOutcome::Passed);
  seen = isolated();
  seen.move = affected(1);
  EXPECT_EQ(outcome(seen, "isolation.update-move"), CheckOutcome::Failed);
  seen = isolated();
  seen.blindMove = affected(3);
  EXPECT_EQ(outcome(seen, "isolation.update-move"), CheckOutcome::Failed);
  seen = isolated();
  seen.move = affected(0);  // the tenant cannot reach its own row
  EXPECT_EQ(outcome(seen, "isolation.update-move"), CheckOutcome::Failed);
}

TEST(ProbeChecks, MissingPrivilegesPassAndWritingWithoutReadingIsNotProven) {
  ProbeObservation seen = isolated();
  seen.access = {false, false, false, false};
  for (const CheckResult& item : checkProbes(tenantTable("users"), "public", seen)) {
    EXPECT_EQ(item.outcome, CheckOutcome::Passed) << item.check;
  }
  seen.access.update = true;
  const auto results = checkProbes(tenantTable("users"), "public", seen);
  EXPECT_EQ(findResult(results, "isolation.update")->outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(findResult(results, "isolation.update")->detail, "isolation not proven"));
}

TEST(ProbeChecks, ProbesThatCouldNotRunAreFailedNotPassed) {
  ProbeObservation seen;
  seen.notProven = "probing users was blocked by other sessions through 3 attempts";
  const auto results = checkProbes(tenantTable("users"), "public", seen);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].check, "isolation");
  EXPECT_EQ(results[0].outcome, CheckOutcome::Failed);
  EXPECT_EQ(results[0].detail.rfind("isolation not proven: probing users was blocked", 0), 0U);
}

ExpectedCondition expected() {
  ExpectedCondition out;
  out.ran = true;
  out.strict = "STRICT";
  out.permissive = "COND";
  return out;
}

TEST(EmptyTableChecks, PassesOnlyWithExactlyTenantshiftsPolicies) {
  RelationFacts table = tenantTable("audit");
  EXPECT_EQ(checkEmptyTable(table, "public", expected(), false).outcome, CheckOutcome::Passed);
  // The transition condition is not enough once strict.
  EXPECT_EQ(checkEmptyTable(table, "public", expected(), true).outcome, CheckOutcome::Failed);

  RelationFacts changed = table;
  changed.policies[0].usingExpr = "true";
  const CheckResult failed = checkEmptyTable(changed, "public", expected(), false);
  EXPECT_EQ(failed.outcome, CheckOutcome::Failed);
  EXPECT_TRUE(contains(failed.detail, "tenantshift_select USING (true)")) << failed.detail;

  RelationFacts extra = table;
  PolicyFacts open;
  open.name = "open";
  open.appliesToApp = true;
  extra.policies.push_back(open);
  EXPECT_EQ(checkEmptyTable(extra, "public", expected(), false).outcome, CheckOutcome::Failed);

  RelationFacts missing = table;
  missing.policies.pop_back();
  EXPECT_TRUE(contains(checkEmptyTable(missing, "public", expected(), false).detail,
                       "tenantshift_delete is missing"));

  RelationFacts forRole = table;
  forRole.policies[1].roles = {"app"};
  EXPECT_EQ(checkEmptyTable(forRole, "public", expected(), false).outcome, CheckOutcome::Failed);

  ExpectedCondition unknown;
  unknown.error = "permission denied to create temporary tables";
  EXPECT_EQ(checkEmptyTable(table, "public", unknown, false).outcome, CheckOutcome::Failed);
}

TEST(AbsentTenant, IsOfTheColumnsTypeAndNeverTheAvoidedOne) {
  EXPECT_EQ(absentTenant("uuid", "a"), "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(absentTenant("uuid", "00000000-0000-0000-0000-000000000000"),
            "ffffffff-ffff-ffff-ffff-ffffffffffff");
  EXPECT_EQ(absentTenant("bigint", "7"), "-1");
  EXPECT_EQ(absentTenant("integer", "-1"), "-2");
  EXPECT_EQ(absentTenant("character varying(12)", "acme"), "tenantshift-probe");
}

TEST(Scope, PlannedTablesThenTheirPartitionsThenTheTenantsTableEachOnce) {
  api::MigrationSpec spec;
  plan::Plan plan;
  plan::TableDecision users;
  users.table = "users";
  plan::TableDecision events;
  events.table = "events";
  events.partitions = {"events_a", "events_2019"};
  plan.decisions = {users, events};
  const auto scope =
      buildScope(spec, plan, {{"events", {{"public", "events_a"}, {"archive", "events_old"}}}});
  ASSERT_EQ(scope.size(), 6U);
  EXPECT_EQ(scope[0].name, "users");
  EXPECT_EQ(scope[1].name, "events");
  EXPECT_EQ(scope[2].name, "events_a");
  EXPECT_EQ(scope[2].kind, RelationKind::Partition);
  EXPECT_EQ(scope[2].root, "events");
  EXPECT_FALSE(scope[2].detached);
  EXPECT_EQ(scope[3].schema, "archive");
  EXPECT_EQ(scope[4].name, "events_2019");
  EXPECT_TRUE(scope[4].detached);
  EXPECT_EQ(scope[5].name, "tenants");
  EXPECT_EQ(scope[5].kind, RelationKind::TenantsTable);
}

}  // namespace
}  // namespace tenantshift::verify
