#include "plan/plan_hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace tenantshift::plan {
namespace {

Plan twoSteps() {
  Plan plan;
  Step column = newStep(Phase::Schema, "schema/add-column/users", "users", "add tenant_id");
  column.up = {Statement{"ALTER TABLE users ADD COLUMN tenant_id uuid", {}}};
  column.down = {Statement{"ALTER TABLE users DROP COLUMN tenant_id", {}}};
  Step tenant = newStep(Phase::Schema, "schema/default-tenant", "", "default tenant");
  tenant.up = {Statement{"INSERT INTO tenants (id) VALUES ($1::uuid)", {"0000-1"}}};
  plan.steps = {column, tenant};
  return plan;
}

// FNV-1a 64 of `bytes`, written out here so that the test pins the algorithm, not just itself.
std::string fnv1a64(const std::string& bytes) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

TEST(PlanHash, IsFnv1aOverIdsPhasesAndStatements) {
  using namespace std::string_literals;
  const std::string bytes =
      "schema/add-column/users\0schema\0up\0ALTER TABLE users ADD COLUMN tenant_id uuid\0"
      "0\0down\0ALTER TABLE users DROP COLUMN tenant_id\0"
      "0\0"
      "schema/default-tenant\0schema\0up\0INSERT INTO tenants (id) VALUES ($1::uuid)\0"
      "1\0"
      "0000-1\0down\0"s;
  EXPECT_EQ(planHash(twoSteps()), fnv1a64(bytes));
  EXPECT_EQ(planHash(twoSteps()).size(), 16U);
  EXPECT_EQ(planHash(twoSteps()), planHash(twoSteps())) << "not stable";
}

TEST(PlanHash, ChangesWithWhatAPlanDoes) {
  const std::string original = planHash(twoSteps());
  Plan upSql = twoSteps();
  upSql.steps[0].up[0].sql += " NULL";
  EXPECT_NE(planHash(upSql), original) << "up SQL";
  Plan downSql = twoSteps();
  downSql.steps[0].down[0].sql = "SELECT 1";
  EXPECT_NE(planHash(downSql), original) << "down SQL";
  Plan param = twoSteps();
  param.steps[1].up[0].params[0] = "0000-2";
  EXPECT_NE(planHash(param), original) << "a parameter";
  Plan phase = twoSteps();
  phase.steps[1].phase = Phase::Backfill;
  EXPECT_NE(planHash(phase), original) << "a phase";
  Plan order = twoSteps();
  std::swap(order.steps[0], order.steps[1]);
  EXPECT_NE(planHash(order), original) << "the order";
  Plan inUp;
  inUp.steps = {newStep(Phase::Schema, "schema/x", "", "")};
  inUp.steps[0].up = {Statement{"SELECT 1", {}}};
  Plan inDown = inUp;
  inDown.steps[0].down = inDown.steps[0].up;
  inDown.steps[0].up.clear();
  EXPECT_NE(planHash(inUp), planHash(inDown)) << "a statement moved from up to down";
}

TEST(PlanHash, IgnoresWhatPeopleRead) {
  Plan words = twoSteps();
  words.steps[0].summary = "another summary";
  words.notes.push_back("a note");
  EXPECT_EQ(planHash(words), planHash(twoSteps()));
}

}  // namespace
}  // namespace tenantshift::plan
