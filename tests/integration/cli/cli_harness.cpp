#include "cli_harness.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "support/postgres_server.h"

namespace tenantshift::clitest {

namespace fs = std::filesystem;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::runCommand;
using tenantshift::testing::shellQuote;

const std::vector<std::string> kTenantTables = {
    "users",        "trading_accounts", "orders",    "trades", "positions", "portfolio_snapshots",
    "risk_metrics", "agent_signals",    "audit_logs"};

namespace {

// Tables whose data the conversion must keep: the tenant tables and the excluded bookkeeping
// table (feature_flags is left out: the flag phase changes it on purpose).
std::vector<std::string> checksummedTables() {
  std::vector<std::string> tables = kTenantTables;
  tables.push_back("alembic_version");
  return tables;
}

std::string primaryKeyOrder(const std::string& table) {
  return table == "alembic_version" ? "version_num" : "id";
}

// A YAML node as JSON: scalars that read as integers or booleans become those, the rest text.
nlohmann::json jsonOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) {
        out[entry.first.as<std::string>()] = jsonOf(entry.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) {
        out.push_back(jsonOf(item));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.as<std::string>();
      if (node.Tag() != "!") {  // a plain (unquoted) scalar
        if (text == "true" || text == "false") {
          return text == "true";
        }
        if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
          return std::stoll(text);
        }
      }
      return text;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

}  // namespace

fs::path writeJsonManifest(const fs::path& dir, const fs::path& yamlManifest,
                           const std::string& fileName) {
  nlohmann::json manifest = jsonOf(YAML::LoadFile(yamlManifest.string()));
  manifest["metadata"]["namespace"] = "tenantshift-test";
  return writeFile(dir, fileName, manifest.dump(2));
}

std::string replaceOnce(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) {
    throw std::runtime_error("the example manifest no longer contains \"" + from +
                             "\": update the test's substitution");
  }
  std::string out = text;
  out.replace(at, from.size(), to);
  return out;
}

fs::path writeManifest(const fs::path& dir, const ManifestOptions& options,
                       const std::string& fileName) {
  std::string text = readFile(exampleDir() / "migration.yaml");
  text = replaceOnce(text, "    batchSize: 5000\n",
                     "    batchSize: " + std::to_string(options.batchSize) + "\n");
  text = replaceOnce(text, "    pause: 20ms\n", "    pause: " + options.pause + "\n");
  text =
      replaceOnce(text, "    lockTimeout: 1s\n", "    lockTimeout: " + options.lockTimeout + "\n");
  text = replaceOnce(text, "    retries: 30\n",
                     "    retries: " + std::to_string(options.retries) + "\n");
  if (!options.bypassRole.empty()) {
    text =
        replaceOnce(text, "  tenant:\n", "  tenant:\n    bypassRole: " + options.bypassRole + "\n");
  }
  return writeFile(dir, fileName, text);
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool schemaExists(const std::string& url, const std::string& schema) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  return tx.exec_params1("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema)[0]
             .as<int>() == 1;
}

std::map<std::string, std::string> dataChecksums(const std::string& url, bool includeTenant) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  std::map<std::string, std::string> sums;
  for (const auto& table : checksummedTables()) {
    const std::string row = includeTenant ? "to_jsonb(t)" : "(to_jsonb(t) - 'tenant_id')";
    const pqxx::row result =
        tx.exec1("SELECT count(*)::text || ':' || coalesce(md5(string_agg(" + row +
                 "::text, '|' ORDER BY " + tx.quote_name(primaryKeyOrder(table)) +
                 ")), '') FROM public." + tx.quote_name(table) + " AS t");
    sums[table] = result[0].as<std::string>();
  }
  return sums;
}

std::string invalidIndexes(const std::string& url) {
  return queryValue(url,
                    "SELECT coalesce(string_agg(indexrelid::regclass::text, ', '), '') "
                    "FROM pg_index WHERE NOT indisvalid");
}

std::int64_t rowsOutsideDefaultTenant(const std::string& url) {
  std::string sql = "SELECT 0";
  for (const auto& table : kTenantTables) {
    sql += " + (SELECT count(*) FROM public." + table + " WHERE tenant_id IS DISTINCT FROM '" +
           std::string(kDefaultTenant) + "')";
  }
  return queryInt(url, sql);
}

void expectConvertedCatalog(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  for (const auto& table : kTenantTables) {
    SCOPED_TRACE("table " + table);
    const std::string qualified = "public." + table;
    const pqxx::result column = tx.exec_params(
        "SELECT a.attnotnull, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = $1::regclass AND a.attname = 'tenant_id' AND NOT a.attisdropped",
        qualified);
    ASSERT_EQ(column.size(), 1u) << "no tenant_id column";
    EXPECT_TRUE(column[0][0].as<bool>()) << "tenant_id is nullable";
    EXPECT_EQ(column[0][1].as<std::string>(), "uuid");

    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM pg_constraint c "
                              "JOIN pg_attribute a ON a.attrelid = c.conrelid "
                              "AND a.attnum = ANY (c.conkey) AND a.attname = 'tenant_id' "
                              "WHERE c.conrelid = $1::regclass AND c.contype = 'f' "
                              "AND c.confrelid = 'public.tenants'::regclass AND c.convalidated",
                              qualified)[0]
                  .as<int>(),
              1)
        << "no validated foreign key of tenant_id to tenants";

    const pqxx::row rls = tx.exec_params1(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass",
        qualified);
    EXPECT_TRUE(rls[0].as<bool>()) << "row-level security not enabled";
    EXPECT_TRUE(rls[1].as<bool>()) << "row-level security not forced";

    EXPECT_EQ(tx.exec_params1("SELECT string_agg(cmd, ',' ORDER BY cmd) FROM pg_policies "
                              "WHERE schemaname = 'public' AND tablename = $1 "
                              "AND policyname LIKE 'tenantshift%'",
                              table)[0]
                  .as<std::string>(""),
              "DELETE,INSERT,SELECT,UPDATE");

    const pqxx::result globalUniques = tx.exec_params(
        "SELECT i.indexrelid::regclass::text FROM pg_index i "
        "WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = i.indrelid "
        "AND a.attname = 'tenant_id' AND a.attnum = ANY (i.indkey::int2[]))",
        qualified);
    for (const auto& index : globalUniques) {
      ADD_FAILURE() << "unique index " << index[0].as<std::string>()
                    << " does not include tenant_id";
    }
  }
  EXPECT_EQ(tx.exec1("SELECT coalesce(string_agg(indexrelid::regclass::text, ', '), '') "
                     "FROM pg_index WHERE NOT indisvalid")[0]
                .as<std::string>(),
            "")
      << "INVALID indexes left behind";
}

const std::string& cleanConversionDump() {
  static const std::string dump = [] {
    auto& server = PostgresServer::shared();
    const std::string url = server.createDatabase("cli_reference");
    loadExample(url, "0.01");
    ScratchDir dir;
    const auto manifest = writeManifest(dir.path(), ManifestOptions{});
    const auto run = runTenantshift(url, {"run", "-f", manifest.string()});
    if (run.exitCode != 0) {
      throw std::runtime_error("the clean reference conversion failed (exit " +
                               std::to_string(run.exitCode) + "):\n" + run.output);
    }
    return schemaDump(url);
  }();
  return dump;
}

void waitForKilledSessions(const std::string& url) {
  const bool gone = waitUntil(
      [&] {
        return queryInt(url,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND application_name = 'tenantshift'") == 0;
      },
      std::chrono::seconds(30));
  if (!gone) {
    throw std::runtime_error("sessions of the killed tenantshift are still open after 30 s");
  }
}

std::string tenantshiftActivity(const std::string& url) {
  std::string activity;
  for (const auto& line :
       queryColumn(url,
                   "SELECT format('pid %s %s wait=%s/%s: %s', pid, state, wait_event_type, "
                   "wait_event, left(query, 300)) FROM pg_stat_activity "
                   "WHERE datname = current_database() AND application_name = 'tenantshift'")) {
    activity += line + "\n";
  }
  return activity.empty() ? "(no tenantshift session)\n" : activity;
}

}  // namespace tenantshift::clitest
