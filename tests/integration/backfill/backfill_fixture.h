#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "api/spec_parser.h"
#include "db/connection.h"
#include "engine/engine.h"
#include "engine/ledger.h"
#include "engine/run_observer.h"
#include "plan/plan.h"
#include "support/postgres_server.h"

namespace tenantshift::engine::testing {

// A fresh database with an application schema (`schemaSql`, which may use the placeholder
// APP_ROLE for the application's role, created here), a TenantMigration for it (`specYaml`: the
// spec's lines below `database`, indented by two spaces) and the schema phase done by the real
// engine; the backfill steps are left to the test.
struct ConvertedDatabase {
  std::string url;
  std::string appRole;
  api::TenantMigration migration;
  plan::Plan plan;

  ConvertedDatabase(const std::string& prefix, std::string schemaSql, const std::string& specYaml) {
    auto& server = tenantshift::testing::PostgresServer::shared();
    url = server.createDatabase(prefix);
    appRole = prefix + "_app_" + url.substr(url.rfind('/') + 1);
    for (std::size_t at = schemaSql.find("APP_ROLE"); at != std::string::npos;
         at = schemaSql.find("APP_ROLE", at)) {
      schemaSql.replace(at, 8, appRole);
    }
    server.psql(url, "CREATE ROLE " + appRole + " LOGIN;\n" + schemaSql);
    migration = api::parseTenantMigration(
        "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nmetadata: {name: " + prefix +
        "}\nspec:\n  database: {schema: public, appRole: " + appRole + "}\n" + specYaml);
    SilentObserver silent;
    Engine engine(url, migration, silent);
    RunOptions options;
    options.until = plan::Phase::Schema;
    engine.run(options);
    plan = engine.plan();
  }

  const plan::Step& step(const std::string& id) const {
    const plan::Step* found = plan.findStep(id);
    if (found == nullptr) {
      throw std::runtime_error("no step " + id + " in the plan");
    }
    return *found;
  }

  Ledger ledger() const { return Ledger(migration.metadata.name); }

  // The URL as another role (trust authentication: no password).
  std::string urlAs(const std::string& role) const {
    std::string out = url;
    out.replace(out.find("postgres@"), 9, role + "@");
    return out;
  }

  std::string scalar(const std::string& sql) const {
    auto connection = db::connect(url);
    pqxx::read_transaction tx(*connection);
    const auto row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  void exec(const std::string& sql) const {
    tenantshift::testing::PostgresServer::shared().psql(url, sql);
  }
};

}  // namespace tenantshift::engine::testing
