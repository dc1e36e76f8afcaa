#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "api/migration_spec.h"
#include "db/connection.h"
#include "plan/catalog.h"
#include "plan/plan.h"
#include "plan/sql_identifier.h"
#include "support/postgres_server.h"
#include "verify/verifier.h"
#include "verify/verify_report_format.h"

namespace tenantshift::verify {

inline constexpr const char* kDefaultTenant = "00000000-0000-0000-0000-000000000001";
inline constexpr const char* kAcme = "00000000-0000-0000-0000-000000000002";

// The tenant condition of tenantshift's policies (transition form, or strict) on `column`.
inline std::string tenantCondition(const std::string& column, bool strict) {
  const std::string current =
      "(SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)";
  const std::string matches = column + " = " + current;
  return strict ? matches : current + " IS NULL OR " + matches;
}

// A hand-made migrated database, built with SQL (not by the planner): the tenants table with
// tenantshift's policies on its id, users and "Order Items" (capitals and a space) with
// tenant_id, ENABLE + FORCE row-level security, the four policies TO PUBLIC, indexes leading with
// tenant_id, an application role (capitals, a space and a quote in its name) that owns nothing,
// and the large-object functions revoked from PUBLIC (so that a correct database has no
// unaccepted exposure).
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = testing::PostgresServer::shared().createDatabase("verify");
    database_ = url_.substr(url_.rfind('/') + 1);
    appRole_ = "App \"Role\" " + database_;
    spec_.database.appRole = appRole_;
    spec_.tenant.idType = api::TenantIdType::Uuid;
    spec_.ddl.lockTimeout = std::chrono::milliseconds(200);
    plan::TableDecision users;
    users.table = "users";
    users.source = "default tenant";
    plan::TableDecision items;
    items.table = "Order Items";
    items.source = "parent users via (user_id)";
    items.parent = "users";
    items.sourceForeignKey = "Order Items_user_id_fkey";
    plan_.decisions = {users, items};
    baseline_ = {{"users", 6}, {"Order Items", 8}};
    admin_ = std::make_unique<pqxx::connection>(url_);
    connection_ = db::connect(url_);  // as the engine connects
    options_.retry.retries = 2;
    options_.sleep = [this](std::chrono::milliseconds wait) { sleeps_.push_back(wait); };
    options_.random = [] { return 0.5; };
  }

  std::string role() const { return plan::quoteIdent(appRole_); }

  void createMigratedDatabase(bool strict = false) {
    sql("CREATE ROLE " + role() +
        " LOGIN;"
        "REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) "
        "FROM PUBLIC;"
        "CREATE TABLE tenants (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT "
        "NULL);"
        "INSERT INTO tenants VALUES ('" +
        std::string(kDefaultTenant) + "', 'default', 'Default Tenant'), ('" + kAcme +
        "', 'acme', 'Acme');"
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, "
        "  tenant_id uuid NOT NULL REFERENCES tenants (id));"
        "CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email);"
        "CREATE TABLE \"Order Items\" (id bigint PRIMARY KEY, "
        "  user_id bigint NOT NULL CONSTRAINT \"Order Items_user_id_fkey\" REFERENCES users (id),"
        "  \"Qty\" int, tenant_id uuid NOT NULL REFERENCES tenants (id));"
        "CREATE INDEX \"Order Items_tenant\" ON \"Order Items\" (tenant_id);"
        "INSERT INTO users SELECT g, 'user' || g || '@example.com', "
        "  CASE WHEN g <= 4 THEN '" +
        kDefaultTenant + "'::uuid ELSE '" + kAcme +
        "'::uuid END FROM generate_series(1, 6) g;"
        "INSERT INTO \"Order Items\" SELECT g, 1 + (g % 6), g, u.tenant_id "
        "  FROM generate_series(1, 8) g JOIN users u ON u.id = 1 + (g % 6);"
        "GRANT USAGE ON SCHEMA public TO " +
        role() +
        ";"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON users, \"Order Items\" TO " +
        role() + "; GRANT SELECT ON tenants TO " + role() + ";");
    for (const std::string table : {"users", "\"Order Items\""}) {
      enableRls(table);
      createPolicies(table, "tenant_id", strict);
    }
    enableRls("tenants");
    createPolicies("tenants", "id", strict);
  }

  void enableRls(const std::string& table) {
    sql("ALTER TABLE " + table + " ENABLE ROW LEVEL SECURITY; ALTER TABLE " + table +
        " FORCE ROW LEVEL SECURITY;");
  }

  void createPolicies(const std::string& table, const std::string& column, bool strict) {
    const std::string matches = "(" + tenantCondition(column, strict) + ")";
    sql("CREATE POLICY tenantshift_select ON " + table + " FOR SELECT TO PUBLIC USING " + matches +
        "; CREATE POLICY tenantshift_insert ON " + table + " FOR INSERT TO PUBLIC WITH CHECK " +
        matches + "; CREATE POLICY tenantshift_update ON " + table +
        " FOR UPDATE TO PUBLIC USING " + matches + " WITH CHECK " + matches +
        "; CREATE POLICY tenantshift_delete ON " + table + " FOR DELETE TO PUBLIC USING " +
        matches + ";");
  }

  // Setup and inspection as the superuser, on a connection of their own.
  void sql(const std::string& text) {
    pqxx::work tx(*admin_);
    tx.exec(text);
    tx.commit();
  }

  std::string scalar(const std::string& query) { return scalarOn(*admin_, query); }

  static std::string scalarOn(pqxx::connection& connection, const std::string& query) {
    pqxx::work tx(connection);
    auto field = tx.exec1(query)[0];
    std::string value = field.is_null() ? std::string("NULL") : field.as<std::string>();
    tx.commit();
    return value;
  }

  // A second connection, for sessions that hold locks while verify runs.
  std::unique_ptr<pqxx::connection> otherSession() const {
    return std::make_unique<pqxx::connection>(url_);
  }

  VerifyReport verify(bool strict = false) {
    VerifyInputs inputs{spec_, before_, plan_, baseline_, strict};
    VerifyReport report = verifyMigration(*connection_, inputs, options_);
    lastReport_ = formatReport(report);
    if (std::getenv("TENANTSHIFT_PRINT_REPORTS") != nullptr) {
      std::cout << lastReport_;  // for people reading a test's reports
    }
    return report;
  }

  std::vector<const CheckResult*> all(const VerifyReport& report, const std::string& check,
                                      const std::string& table) const {
    std::vector<const CheckResult*> out;
    for (const auto& item : report.checks) {
      if (item.check == check && item.table == table) {
        out.push_back(&item);
      }
    }
    return out;
  }

  // The one result of `check` for `table` (a copy: the report may be a temporary); fails the
  // test when there is not exactly one.
  CheckResult find(const VerifyReport& report, const std::string& check, const std::string& table) {
    auto found = all(report, check, table);
    if (found.size() != 1) {
      ADD_FAILURE() << found.size() << " results for " << check << " " << table << "\n"
                    << lastReport_;
      return result("missing", "", CheckOutcome::Failed, "");
    }
    return *found.front();
  }

  // The one result of `check` for `table` whose detail mentions `text` (a copy).
  CheckResult findMentioning(const VerifyReport& report, const std::string& check,
                             const std::string& table, const std::string& text) {
    const CheckResult* match = nullptr;
    int matches = 0;
    for (const CheckResult* candidate : all(report, check, table)) {
      if (candidate->detail.find(text) != std::string::npos) {
        match = candidate;
        ++matches;
      }
    }
    if (matches != 1) {
      ADD_FAILURE() << matches << " results for " << check << " " << table << " mentioning " << text
                    << "\n"
                    << lastReport_;
      return result("missing", "", CheckOutcome::Failed, "");
    }
    return *match;
  }

  std::vector<std::string> failedChecks(const VerifyReport& report) const {
    std::vector<std::string> out;
    for (const auto& item : report.checks) {
      if (item.outcome == CheckOutcome::Failed) {
        out.push_back(item.check + " " + item.table);
      }
    }
    return out;
  }

  static bool mentions(const CheckResult& item, const std::string& text) {
    return item.detail.find(text) != std::string::npos;
  }

  std::string url_;
  std::string database_;
  std::string appRole_;
  api::MigrationSpec spec_;
  plan::Catalog before_;
  plan::Plan plan_;
  std::map<std::string, std::int64_t> baseline_;
  std::unique_ptr<pqxx::connection> admin_;
  std::unique_ptr<pqxx::connection> connection_;  // the one verify runs on
  VerifyOptions options_;
  std::vector<std::chrono::milliseconds> sleeps_;
  std::string lastReport_;
};

}  // namespace tenantshift::verify
