// The bypass role's rollback drops only a role the migration created.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "db/catalog_reader.h"
#include "plan/planner.h"
#include "support/postgres_server.h"

namespace tenantshift::plan {
namespace {

void exec(pqxx::connection& conn, const std::vector<Statement>& statements) {
  pqxx::work tx(conn);
  for (const auto& statement : statements) {
    tx.exec(statement.sql);
  }
  tx.commit();
}

bool roleExists(pqxx::connection& conn, const std::string& role) {
  pqxx::work tx(conn);
  return tx.exec_params1("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", role)[0]
      .as<bool>();
}

const Step& bypassStep(pqxx::connection& conn, const std::string& role, Plan& plan) {
  api::MigrationSpec spec;
  spec.database.appRole = "bypass_app";
  spec.tenant.bypassRole = role;
  plan = buildPlan(spec, db::readCatalog(conn, "public", "bypass_app"));
  const Step* step = plan.findStep("schema/bypass-role");
  EXPECT_NE(step, nullptr);
  return *step;
}

class BypassRole : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = testing::PostgresServer::shared();
    url_ = server.createDatabase("bypass");
    server.psql(url_,
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bypass_app') "
                "THEN CREATE ROLE bypass_app LOGIN; END IF; END $$;"
                "CREATE TABLE items (id bigint PRIMARY KEY, label text)");
  }
  std::string url_;
};

TEST_F(BypassRole, RollbackDropsTheRoleItCreated) {
  pqxx::connection conn(url_);
  Plan plan;
  const Step& step = bypassStep(conn, "ts_bypass_created", plan);
  exec(conn, step.up);
  exec(conn, step.up);  // idempotent
  ASSERT_TRUE(roleExists(conn, "ts_bypass_created"));
  exec(conn, step.down);
  EXPECT_FALSE(roleExists(conn, "ts_bypass_created"));
}

TEST_F(BypassRole, RollbackKeepsARoleThatExistedBefore) {
  pqxx::connection conn(url_);
  {
    pqxx::work tx(conn);
    tx.exec("DROP ROLE IF EXISTS ts_bypass_existing");
    tx.exec("CREATE ROLE ts_bypass_existing NOLOGIN BYPASSRLS");
    tx.commit();
  }
  Plan plan;
  const Step& step = bypassStep(conn, "ts_bypass_existing", plan);
  exec(conn, step.up);
  exec(conn, step.down);
  EXPECT_TRUE(roleExists(conn, "ts_bypass_existing"));
}

}  // namespace
}  // namespace tenantshift::plan
