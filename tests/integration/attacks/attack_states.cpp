#include "attack_states.h"

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>
#include <utility>

#include "support/postgres_server.h"
#include "support/queries.h"
#include "support/rentals_fixture.h"
#include "support/schema_dump.h"
#include "support/scratch_files.h"
#include "support/tenantshift_process.h"

namespace tenantshift::attacks {

std::string_view toString(State state) {
  switch (state) {
    case State::kEnforced:
      return "enforced";
    case State::kFlagOff:
      return "flag-off";
    case State::kDisableRls:
      return "disable-rls";
    case State::kFull:
      return "full";
  }
  return "full";
}

namespace {

using tenantshift::realistic::appUrl;
using tenantshift::realistic::loadRentals;
using tenantshift::realistic::manifestPath;
using tenantshift::testing::PostgresServer;
using tenantshift::testing::queryValue;
using tenantshift::testing::readFile;
using tenantshift::testing::runTenantshift;
using tenantshift::testing::schemaDump;
using tenantshift::testing::ScratchDir;
using tenantshift::testing::TenantshiftProcess;
using tenantshift::testing::writeFile;

constexpr const char* kDefaultBypassRole = "tenantshift_bypass";

std::string underscored(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = c == '-' ? '_' : c;
  }
  return out;
}

// Roles are the cluster's, and every state's database is in the one server of this binary: a
// full rollback drops the bypass role its migration marked as its own, which another database's
// migration may be using. So each rollback state gets a manifest with a bypass role of its own;
// the enforced state uses the fixture's manifest as it is.
std::pair<std::filesystem::path, std::string> manifestFor(State state) {
  if (state == State::kEnforced) {
    return {manifestPath(), kDefaultBypassRole};
  }
  static const ScratchDir dir;
  const std::string role = std::string(kDefaultBypassRole) + "_" + underscored(toString(state));
  std::string text = readFile(manifestPath());
  const std::string tenant = "\n  tenant:\n";
  const auto at = text.find(tenant);
  if (at == std::string::npos) {
    throw std::runtime_error("the rentals manifest has no `tenant:` section any more: update " +
                             std::string(__FILE__));
  }
  text.insert(at + tenant.size(), "    bypassRole: " + role + "\n");
  return {writeFile(dir.path(), "migration-" + std::string(toString(state)) + ".yaml", text), role};
}

// The rentals chain made ready the way its reviewer would: the balance function runs with the
// caller's rights (verify refuses it otherwise), the large object functions are revoked from
// PUBLIC (verify reports them as an open exposure), a materialized view over customers the app
// could read (its SELECT is revoked by the conversion), and a large object of the superuser
// holding another branch's data.
void prepareRentals(const std::string& url) {
  loadRentals(url, "0.1");
  PostgresServer::shared().psql(
      url,
      "ALTER FUNCTION customer_balance(integer) SECURITY INVOKER;\n"
      "REVOKE EXECUTE ON FUNCTION lo_creat(integer), lo_create(oid), "
      "lo_from_bytea(oid, bytea) FROM PUBLIC;\n"
      "SELECT lo_from_bytea(424242, 'branch 3 secrets');\n"
      "SET ROLE rentals_owner;\n"
      "CREATE MATERIALIZED VIEW customer_emails AS SELECT customer_id, email FROM "
      "customers;\n"
      "GRANT SELECT ON customer_emails TO rentals_app;\n"
      "RESET ROLE;\n");
}

// Throws when the fixture has no such row: every case needs its ids.
std::map<std::string, std::string> readIds(const std::string& url, const std::string& bypassRole) {
  auto one = [&](const std::string& sql) {
    const std::string id = queryValue(url, sql);
    if (id.empty()) {
      throw std::runtime_error("the fixture has nothing for: " + sql);
    }
    return id;
  };
  std::map<std::string, std::string> ids;
  for (const auto& [who, branch] : {std::pair{"a", kOwn}, std::pair{"b", kForeign}}) {
    const std::string prefix = std::string(who) + "_";
    const std::string b(branch);
    ids[prefix + "store"] = one("SELECT min(store_id) FROM stores WHERE branch_id = " + b);
    ids[prefix + "customer"] = one("SELECT min(customer_id) FROM customers WHERE branch_id = " + b);
    ids[prefix + "inventory"] =
        one("SELECT min(inventory_id) FROM inventory WHERE branch_id = " + b);
    ids[prefix + "staff"] = one("SELECT min(staff_id) FROM staff WHERE branch_id = " + b);
    ids[prefix + "rental"] = one("SELECT min(rental_id) FROM rentals WHERE branch_id = " + b);
  }
  ids["b_email"] = one("SELECT email FROM customers WHERE customer_id = " + ids["b_customer"]);
  ids["b_api_log"] = one("SELECT min(log_id) FROM api_logs WHERE branch_id = 3");
  ids["b_stranger"] =
      one("SELECT min(c.customer_id) FROM customers c WHERE c.branch_id = 3 "
          "AND NOT EXISTS (SELECT FROM rentals r WHERE r.customer_id = c.customer_id "
          "AND r.branch_id = 2) AND NOT EXISTS (SELECT FROM payments p "
          "WHERE p.customer_id = c.customer_id AND p.branch_id = 2)");
  ids["film"] = one("SELECT min(film_id) FROM films");
  ids["own_customers"] = one("SELECT count(*) FROM customers WHERE branch_id = 2");
  ids["b_customers"] = one("SELECT count(*) FROM customers WHERE branch_id = 3");
  ids["all_customers"] = one("SELECT count(*) FROM customers");
  ids["large_object"] = "424242";
  ids["bypass_role"] = bypassRole;
  return ids;
}

// `tenantshift rollback --scenario ...` while the app holds session advisory locks on every
// key it could guess: it must end, and succeed, without waiting for them. Returns the error.
std::string rollBack(const AttackState& state) {
  pqxx::connection app(appUrl(state.url));
  pqxx::nontransaction locks(app);
  locks.exec(
      "SELECT pg_advisory_lock(k) FROM unnest(ARRAY[0, 1, 42, 7, 12345, "
      "hashtext('tenantshift'), hashtext('tenantshift.runner'), hashtext('rentals'), "
      "hashtext('runner')]::bigint[]) k");
  locks.exec("SELECT pg_advisory_lock(hashtext('tenantshift'), k) FROM generate_series(0, 3) k");
  const std::string scenario(toString(state.state));
  // No --allow-data-loss: nothing was written since the conversion, so `full` loses nothing and
  // must not ask for it.
  TenantshiftProcess rollback(state.url,
                              {"rollback", "-f", state.manifest.string(), "--scenario", scenario});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!rollback.poll() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!rollback.poll()) {
    return "rollback --scenario " + scenario +
           " still running after 2 minutes while the app holds advisory locks:\n" +
           rollback.output();
  }
  if (rollback.wait() != 0) {
    return "tenantshift rollback --scenario " + scenario + " failed:\n" + rollback.output();
  }
  return "";
}

std::unique_ptr<AttackState> makeState(State state) {
  auto made = std::make_unique<AttackState>();
  made->state = state;
  made->url = PostgresServer::shared().createDatabase("attacks_" + underscored(toString(state)));
  std::tie(made->manifest, made->bypassRole) = manifestFor(state);
  try {
    prepareRentals(made->url);
    made->schemaBefore = schemaDump(made->url);
    const auto run = runTenantshift(made->url, {"run", "-f", made->manifest.string()});
    if (run.exitCode != 0 || run.output.find("verified and enforced") == std::string::npos) {
      made->error = "tenantshift run did not end verified and enforced:\n" + run.output;
      return made;
    }
    PostgresServer::shared().psql(made->url, "ANALYZE");
    made->ids = readIds(made->url, made->bypassRole);
    if (state != State::kEnforced) {
      made->error = rollBack(*made);
    }
  } catch (const std::exception& error) {
    made->error = std::string("preparing the ") + std::string(toString(state)) +
                  " database failed: " + error.what();
  }
  return made;
}

}  // namespace

const AttackState& attackState(State state) {
  static std::map<State, std::unique_ptr<AttackState>> states;
  auto& slot = states[state];
  if (!slot) {
    slot = makeState(state);
  }
  return *slot;
}

}  // namespace tenantshift::attacks
