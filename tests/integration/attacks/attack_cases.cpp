// The cases of the attack suite (issue 7): how rentals_app tries to get at another branch's rows,
// and until which state (attack.h) each attempt must fail. The suite runs them in every state
// (attacks_test.cpp); exposures_test.cpp has the ones that need more than one connection.
#include <string>
#include <utility>

#include "attack.h"
#include "plan/sql_identifier.h"
#include "support/rentals_fixture.h"

namespace tenantshift::attacks {

namespace {

using tenantshift::realistic::kConvertedTables;

Attack make(std::string name, std::optional<std::string> tenant, std::string sql, Expect expect,
            std::string expected) {
  Attack attack;
  attack.name = std::move(name);
  attack.tenant = std::move(tenant);
  attack.sql = std::move(sql);
  attack.expect = expect;
  attack.expected = std::move(expected);
  return attack;
}

// Why PostgreSQL refuses an attempt: the SQLSTATE, and the words of its message that say why.
struct Refusal {
  std::string sqlstate;
  std::string message;
};

Refusal denied(const std::string& object) {
  return {"42501", "permission denied for " + object};
}

Refusal notOwner(const std::string& object) {
  return {"42501", "must be owner of " + object};
}

Refusal rowSecurity(const std::string& table) {
  return {"42501", "new row violates row-level security policy for table \"" + table + "\""};
}

// The table in PostgreSQL's message is the leaf partition the row went to, which for a hash
// partition depends on the row: the constraint names the key.
Refusal foreignKey(const std::string& constraint) {
  return {"23503", "violates foreign key constraint \"" + constraint + "\""};
}

// The tenant setting cast to the tenant column's type (bigint) by the policies.
Refusal invalidTenant(const std::string& setting) {
  return {"22P02", "invalid input syntax for type bigint: \"" + setting + "\""};
}

Attack refused(std::string name, std::optional<std::string> tenant, std::string sql,
               Refusal refusal) {
  Attack attack = make(std::move(name), std::move(tenant), std::move(sql), Expect::kRefused,
                       std::move(refusal.message));
  attack.sqlstate = std::move(refusal.sqlstate);
  return attack;
}

Attack value(std::string name, std::optional<std::string> tenant, std::string sql,
             std::string expected) {
  return make(std::move(name), std::move(tenant), std::move(sql), Expect::kValue,
              std::move(expected));
}

Attack everyRow(std::string name, std::optional<std::string> tenant, std::string sql,
                std::string expected) {
  return make(std::move(name), std::move(tenant), std::move(sql), Expect::kEveryRow,
              std::move(expected));
}

Attack noRows(std::string name, std::string sql) {
  return make(std::move(name), kOwn, std::move(sql), Expect::kNoRows, "");
}

Attack oneTenant(std::string name, std::string sql) {
  return make(std::move(name), kOwn, std::move(sql), Expect::kAtMostOneTenant, "");
}

Attack explain(std::string name, const std::string& query) {
  return make(std::move(name), kOwn,
              "SET LOCAL enable_seqscan = off; "
              "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " +
                  query,
              Expect::kNoRowsRemoved, "")
      .until(State::kEnforced);
}

}  // namespace

std::vector<Attack> attackCases() {
  std::vector<Attack> cases;
  auto add = [&](Attack attack) { cases.push_back(std::move(attack)); };

  // Direct reads of every tenant table: with A set, with no tenant, with an empty setting.
  for (const auto& table : kConvertedTables) {
    const std::string quoted = plan::quoteIdent(table);
    add(value("read " + table + " rows of other tenants with A set", kOwn,
              "SELECT count(*) FROM public." + quoted + " WHERE branch_id IS DISTINCT FROM 2",
              "0"));
    add(value("read " + table + " with no tenant set", std::nullopt,
              "SELECT count(*) FROM public." + quoted, "0")
            .until(State::kEnforced));
    add(value("read " + table + " with an empty tenant setting", "",
              "SELECT count(*) FROM public." + quoted, "0")
            .until(State::kEnforced));
  }
  add(value("read A's own customers (sanity: the suite sees A's rows)", kOwn,
            "SELECT count(*) FROM customers", "{own_customers}"));
  add(value("read B's customer by primary key", kOwn,
            "SELECT count(*) FROM customers WHERE customer_id = {b_customer}", "0"));
  add(value("read B's customers by tenant id", kOwn,
            "SELECT count(*) FROM customers WHERE branch_id = 3", "0"));
  add(value("read by ctid, every slot of the first pages", kOwn,
            "SELECT count(*) FROM customers WHERE ctid = ANY (ARRAY(SELECT format('(%s,%s)', p, s)"
            "::tid FROM generate_series(0, 9) p, generate_series(1, 300) s)) "
            "AND branch_id <> 2",
            "0"));
  add(value("read B's customers through a join from A's rentals", kOwn,
            "SELECT count(*) FROM rentals r JOIN customers c ON c.customer_id = r.customer_id "
            "WHERE c.branch_id <> 2",
            "0"));
  add(value("read B's customers in a scalar subquery", kOwn,
            "SELECT (SELECT count(*) FROM customers WHERE branch_id = 3)", "0"));
  add(noRows("lock B's rows with SELECT ... FOR UPDATE",
             "SELECT customer_id FROM customers WHERE branch_id = 3 FOR UPDATE"));
  add(value("leak rows through a cheap non-leakproof function in WHERE", kOwn,
            "CREATE TEMP TABLE seen (email text); "
            "CREATE FUNCTION pg_temp.peek(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS "
            "$$BEGIN INSERT INTO seen VALUES ($1); RETURN true; END$$; "
            "SELECT count(*) FROM customers WHERE pg_temp.peek(email); "
            "SELECT count(*) FROM seen WHERE email = '{b_email}' OR email NOT IN "
            "(SELECT email FROM customers WHERE branch_id = 2)",
            "0"));
  add(value("read the planner statistics of a tenant table (pg_stats)", kOwn,
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'customers'",
            "0"));
  add(value("tenant setting -1 (no such tenant)", "-1", "SELECT count(*) FROM customers", "0"));
  add(refused("bogus tenant setting 'abc'", "abc", "SELECT count(*) FROM customers",
              invalidTenant("abc")));
  add(refused("injection in the tenant setting '2 OR 1=1'", "2 OR 1=1",
              "SELECT count(*) FROM customers", invalidTenant("2 OR 1=1")));
  add(refused("two tenants in the setting '2,3'", "2,3", "SELECT count(*) FROM customers",
              invalidTenant("2,3")));
  add(refused("tenant setting 'NULL'", "NULL", "SELECT count(*) FROM customers",
              invalidTenant("NULL")));
  add(refused("tenant setting out of range", "99999999999999999999",
              "SELECT count(*) FROM customers",
              Refusal{"22003", "value \"99999999999999999999\" is out of range for type bigint"}));

  // Partitions of payments, directly.
  for (const char* partition : {"payments_2024", "payments_2025", "payments_current",
                                "payments_current_0", "payments_current_1"}) {
    add(refused(std::string("read partition ") + partition + " directly", kOwn,
                std::string("SELECT count(*) FROM ") + partition + " WHERE branch_id <> 2",
                denied(std::string("table ") + partition))
            .until(State::kDisableRls));
  }
  add(refused("insert B's payment into a partition directly", kOwn,
              "INSERT INTO payments_2025 (customer_id, staff_id, rental_id, amount, payment_date, "
              "branch_id) VALUES ({a_customer}, {a_staff}, {a_rental}, 1, '2025-06-01', 3)",
              denied("table payments_2025"))
          .until(State::kDisableRls));
  add(refused("update B's rows in a leaf partition directly", kOwn,
              "UPDATE payments_current_1 SET amount = 0 WHERE branch_id = 3",
              denied("table payments_current_1"))
          .until(State::kDisableRls));

  // Writes.
  add(refused("insert a note with B's tenant id", kOwn,
              "INSERT INTO notes (body, branch_id) VALUES ('attack', 3)", rowSecurity("notes")));
  add(refused("insert a customer with B's tenant id", kOwn,
              "INSERT INTO customers (store_id, first_name, last_name, email, branch_id) "
              "VALUES ({a_store}, 'x', 'y', 'attack@example.com', 3)",
              rowSecurity("customers")));
  add(refused("insert an api log with B's tenant id", kOwn,
              "INSERT INTO api_logs (endpoint, status, branch_id) VALUES ('/attack', 200, 3)",
              rowSecurity("api_logs")));
  add(refused("insert a payment with B's tenant id through the partitioned table", kOwn,
              "INSERT INTO payments (customer_id, staff_id, rental_id, amount, payment_date, "
              "branch_id) VALUES ({a_customer}, {a_staff}, {a_rental}, 1, '2025-06-01', 3)",
              rowSecurity("payments")));
  add(refused("move an own customer to B (UPDATE tenant id)", kOwn,
              "UPDATE customers SET branch_id = 3 WHERE customer_id = {a_customer}",
              rowSecurity("customers")));
  add(refused("move an own api log to B (UPDATE tenant id)", kOwn,
              "UPDATE api_logs SET branch_id = 3 WHERE branch_id = 2", rowSecurity("api_logs")));
  add(noRows("update B's customers", "UPDATE customers SET first_name = 'x' WHERE branch_id = 3"));
  add(noRows("update B's customer by primary key",
             "UPDATE customers SET first_name = 'x' WHERE customer_id = {b_customer}"));
  add(noRows("update B's payments through the partitioned table",
             "UPDATE payments SET amount = 0 WHERE branch_id <> 2"));
  add(noRows("update with a join to B's rows",
             "UPDATE notes n SET body = c.email FROM customers c WHERE c.branch_id = 3"));
  add(noRows("delete B's api logs", "DELETE FROM api_logs WHERE branch_id <> 2"));
  add(noRows("delete B's api log by primary key",
             "DELETE FROM api_logs WHERE log_id = {b_api_log}"));
  add(refused("delete B's customer (no DELETE privilege)", kOwn,
              "DELETE FROM customers WHERE customer_id = {b_customer}", denied("table customers"))
          .until(State::kFull));
  add(noRows("copy B's rows into an own table with INSERT ... SELECT",
             "INSERT INTO notes (body) SELECT email FROM customers WHERE branch_id = 3"));
  add(refused("upsert onto B's row through the global primary key", kOwn,
              "INSERT INTO customers (customer_id, store_id, first_name, last_name, email) "
              "VALUES ({b_customer}, {a_store}, 'x', 'y', 'attack@example.com') "
              "ON CONFLICT (customer_id) DO UPDATE SET first_name = 'pwned'",
              Refusal{"42501",
                      "new row violates row-level security policy (USING expression) for table "
                      "\"customers\""}));
  // MERGE: the target's rows of B are not there to match (the policies filter its scan), what it
  // inserts or moves is checked like an INSERT or UPDATE, and its source reads through them too.
  add(noRows("MERGE onto B's row",
             "MERGE INTO customers c USING (SELECT {b_customer} AS id) s ON c.customer_id = s.id "
             "WHEN MATCHED THEN UPDATE SET first_name = 'pwned'"));
  add(noRows("MERGE ... WHEN MATCHED THEN DELETE of B's row",
             "MERGE INTO api_logs l USING (SELECT {b_api_log} AS id) s ON l.log_id = s.id "
             "WHEN MATCHED THEN DELETE"));
  add(refused("MERGE ... WHEN NOT MATCHED THEN INSERT with B's tenant id", kOwn,
              "MERGE INTO notes n USING (SELECT 'attack' AS body) s ON false "
              "WHEN NOT MATCHED THEN INSERT (body, branch_id) VALUES (s.body, 3)",
              rowSecurity("notes")));
  add(refused("MERGE on B's primary key: not matched, then INSERT with B's tenant id", kOwn,
              "MERGE INTO api_logs l USING (SELECT {b_api_log} AS id) s ON l.log_id = s.id "
              "WHEN MATCHED THEN DELETE "
              "WHEN NOT MATCHED THEN INSERT (endpoint, status, branch_id) VALUES ('/x', 200, 3)",
              rowSecurity("api_logs")));
  add(refused("MERGE ... WHEN MATCHED THEN UPDATE moves an own row to B", kOwn,
              "MERGE INTO customers c USING (SELECT {a_customer} AS id) s ON c.customer_id = s.id "
              "WHEN MATCHED THEN UPDATE SET branch_id = 3",
              rowSecurity("customers")));
  add(noRows("MERGE with B's rows as the source",
             "MERGE INTO notes n USING (SELECT email FROM customers WHERE branch_id = 3) s "
             "ON false WHEN NOT MATCHED THEN INSERT (body) VALUES (s.email)"));
  add(refused("flip the feature flag (app_settings is read-only)", kOwn,
              "UPDATE app_settings SET value = 'off' WHERE key = 'multi_tenant'",
              denied("table app_settings"))
          .until(State::kFull));
  add(refused("write a global reference table", kOwn, "UPDATE languages SET name = name",
              denied("table languages"))
          .until(State::kFull));
  add(value("writable global tables: only the accepted film_stats", kOwn,
            "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') "
            "AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid "
            "AND a.attname = 'branch_id') AND c.relname <> 'branches' "
            "AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')",
            "film_stats")
          .until(State::kDisableRls));

  // Foreign keys: a reference to B's parent fails under the tenant-consistent keys.
  add(refused("FK probe: inventory in B's store", kOwn,
              "INSERT INTO inventory (film_id, store_id, barcode) "
              "VALUES ({film}, {b_store}, 'attack-1')",
              foreignKey("inventory_store_id_fkey"))
          .until(State::kDisableRls));
  // rentals take their tenant from the clerk: the key to inventory is no derivation, so it is
  // tenant-consistent only from the flag on (the unchanged application may move an item that
  // rentals reference to another branch), and flag-off gives the application its original key.
  add(refused("FK probe: rental of B's inventory", kOwn,
              "INSERT INTO rentals (rental_date, inventory_id, customer_id, staff_id) "
              "VALUES (now(), {b_inventory}, {a_customer}, {a_staff})",
              foreignKey("rentals_inventory_id_fkey"))
          .until(State::kEnforced));
  add(refused("FK probe: rental by B's clerk", kOwn,
              "INSERT INTO rentals (rental_date, inventory_id, customer_id, staff_id) "
              "VALUES (now(), {a_inventory}, {a_customer}, {b_staff})",
              foreignKey("rentals_staff_id_fkey"))
          .until(State::kDisableRls));
  add(refused("FK probe: payment for B's rental", kOwn,
              "INSERT INTO payments (customer_id, staff_id, rental_id, amount, payment_date) "
              "VALUES ({a_customer}, {a_staff}, {b_rental}, 1, now())",
              foreignKey("payments_rental_id_fkey_tenant"))
          .until(State::kDisableRls));
  add(refused("FK probe: gift card of B's customer", kOwn,
              "INSERT INTO \"Gift Cards \"\"VIP\"\"\" (\"pid$ts$;SELECT 1;--\", "
              "\"Guthaben €\", \"Code ÄÖÜ\") VALUES ({b_customer}, 1, 'attack')",
              foreignKey("Gift Cards \"VIP\"_pid$ts$;SELECT 1;--_fkey"))
          .until(State::kDisableRls));
  add(refused("FK probe: move own inventory into B's store", kOwn,
              "UPDATE inventory SET store_id = {b_store} WHERE inventory_id = {a_inventory}",
              foreignKey("inventory_store_id_fkey"))
          .until(State::kDisableRls));

  // set_config tricks: a statement only ever sees one tenant.
  add(oneTenant("switch the tenant per row in WHERE",
                "SELECT count(DISTINCT branch_id) FROM customers WHERE "
                "set_config('app.current_branch_id', (customer_id % 4 + 1)::text, true) "
                "IS NOT NULL"));
  add(oneTenant("switch the tenant in a CTE before the scan",
                "WITH s AS MATERIALIZED (SELECT set_config('app.current_branch_id', '3', true)) "
                "SELECT count(DISTINCT c.branch_id) FROM s, customers c"));
  add(oneTenant("switch the tenant inside a (temporary) function",
                "CREATE FUNCTION pg_temp.switch(integer) RETURNS boolean LANGUAGE plpgsql "
                "VOLATILE AS $$BEGIN PERFORM set_config('app.current_branch_id', $1::text, true); "
                "RETURN true; END$$; "
                "SELECT count(DISTINCT branch_id) FROM customers "
                "WHERE pg_temp.switch(customer_id % 4 + 1)"));
  // Each scan of a tenant table reads the setting once (the policy's InitPlan): a statement that
  // changes the setting between two scans sees two tenants. After flag-off the permissive form of
  // the policies reads it before the scan's own set_config, and the same statement saw A's rows
  // only: the exposure is asserted where it shows.
  add(value("two tenants in one UNION ALL", kOwn,
            "SELECT string_agg(DISTINCT branch_id::text, ',' ORDER BY branch_id::text) FROM ("
            "SELECT branch_id FROM customers WHERE "
            "set_config('app.current_branch_id', '2', true) IS NOT NULL UNION ALL "
            "SELECT branch_id FROM customers WHERE "
            "set_config('app.current_branch_id', '3', true) IS NOT NULL) u",
            "2,3")
          .until(State::kEnforced)
          .asExposure("any SQL that can call set_config() can switch tenants, even between two "
                      "scans of one statement: the setting is no boundary against SQL injection, "
                      "only the application setting it per transaction with a bound parameter "
                      "is; PostgreSQL has no read-only setting the policies could use instead"));
  add(value("set A, then read B in the same statement", kOwn,
            "SELECT count(*) FROM customers WHERE "
            "set_config('app.current_branch_id', '2', true) IS NOT NULL AND branch_id = 3",
            "0"));
  add(value("RESET the tenant setting", kOwn,
            "RESET app.current_branch_id; SELECT count(*) FROM customers", "0")
          .until(State::kEnforced));
  add(value("SET the tenant setting TO DEFAULT", kOwn,
            "SET LOCAL app.current_branch_id TO DEFAULT; SELECT count(*) FROM customers", "0")
          .until(State::kEnforced));

  // Views and materialized views.
  add(value("every view is security_invoker", kOwn,
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind = 'v' AND NOT coalesce('security_invoker=true' = ANY (reloptions), false)",
            "0"));
  add(value("read B's customers through customer_list", kOwn,
            "SELECT count(*) FROM customer_list l WHERE NOT EXISTS (SELECT FROM customers c "
            "WHERE c.customer_id = l.id AND c.branch_id = 2)",
            "0"));
  add(value("read customer_list sees A's customers only", kOwn,
            "SELECT count(*) FROM customer_list", "{own_customers}"));
  add(value("read active_customer_list (a view over a view) with no tenant", std::nullopt,
            "SELECT count(*) FROM active_customer_list", "0")
          .until(State::kEnforced));
  add(value("read B's staff through staff_list (owned by the superuser)", kOwn,
            "SELECT count(*) FROM staff_list WHERE branch_id <> 2", "0"));
  add(value("read B's customers through an own temporary view", kOwn,
            "CREATE TEMP VIEW mine AS SELECT * FROM customers; "
            "SELECT count(*) FROM mine WHERE branch_id <> 2",
            "0"));
  add(refused("turn security_invoker off on customer_list", kOwn,
              "ALTER VIEW customer_list SET (security_invoker = false)",
              notOwner("view customer_list"))
          .until(State::kFull));
  add(refused("replace customer_list", kOwn,
              "CREATE OR REPLACE VIEW customer_list AS SELECT * FROM customer_list",
              denied("schema public"))
          .until(State::kFull));
  add(refused("read the materialized view over customers (SELECT revoked)", kOwn,
              "SELECT count(*) FROM customer_emails", denied("materialized view customer_emails")));
  add(refused("refresh a materialized view", kOwn, "REFRESH MATERIALIZED VIEW sales_by_store",
              notOwner("materialized view sales_by_store"))
          .until(State::kFull));

  // SECURITY DEFINER functions and the lookup function.
  add(value("the only SECURITY DEFINER function the app can run is the lookup function", kOwn,
            "SELECT string_agg(p.oid::regprocedure::text, ',') FROM pg_proc p "
            "WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace "
            "AND has_function_privilege(p.oid, 'EXECUTE')",
            "tenant_id_for_slug(text)"));
  add(value("customer_balance of a B customer who never came to A", kOwn,
            "SELECT customer_balance({b_stranger})", "0"));
  add(value("SQL injection into the lookup function", kOwn,
            "SELECT tenant_id_for_slug($$x' OR 'a' = 'a$$)", "NULL"));
  add(refused("make customer_balance SECURITY DEFINER again", kOwn,
              "ALTER FUNCTION customer_balance(integer) SECURITY DEFINER",
              notOwner("function customer_balance"))
          .until(State::kFull));
  add(refused("create a SECURITY DEFINER function in public", kOwn,
              "CREATE FUNCTION public.attack() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
              "AS 'SELECT count(*) FROM customers'",
              denied("schema public"))
          .until(State::kFull));

  // The tenants table.
  add(value("tenants table: A sees its own row", kOwn, "SELECT count(*) FROM branches", "1"));
  add(value("tenants table: A sees no other row", kOwn,
            "SELECT count(*) FROM branches WHERE id <> 2", "0"));
  add(value("tenants table with no tenant set", std::nullopt, "SELECT count(*) FROM branches", "0")
          .until(State::kEnforced));
  add(refused("rename B in the tenants table", kOwn, "UPDATE branches SET name = 'x' WHERE id = 3",
              denied("table branches"))
          .until(State::kFull));
  add(refused("add a tenant", kOwn,
              "INSERT INTO branches (id, slug, name, region) VALUES (99, 'evil', 'Evil', 'x')",
              denied("table branches"))
          .until(State::kFull));

  // EXPLAIN ANALYZE: indexes lead with the tenant, so B's rows are never counted.
  add(value("every secondary index of a tenant table leads with branch_id", kOwn,
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'branch_id' "
            "WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisprimary "
            "AND i.indkey[0] <> a.attnum",
            "0")
          .until(State::kEnforced));
  add(explain("EXPLAIN ANALYZE customers of B's store",
              "SELECT * FROM customers WHERE store_id = {b_store}"));
  add(explain("EXPLAIN ANALYZE inventory of B's store",
              "SELECT * FROM inventory WHERE store_id = {b_store}"));
  add(explain("EXPLAIN ANALYZE rentals of B's inventory",
              "SELECT * FROM rentals WHERE inventory_id = {b_inventory}"));
  add(explain("EXPLAIN ANALYZE B's customer by email",
              "SELECT * FROM customers WHERE email = '{b_email}'"));

  // The ledger and the runner lock.
  add(value("no privilege on the ledger schema", kOwn,
            "SELECT has_schema_privilege('tenantshift', 'USAGE')::text", "false")
          .until(State::kFull));
  add(refused("read the ledger's steps", kOwn, "SELECT count(*) FROM tenantshift.step",
              denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("read the ledger's migration (spec and schema snapshot)", kOwn,
              "SELECT count(*) FROM tenantshift.migration", denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("read the ledger's version", kOwn, "SELECT count(*) FROM tenantshift.ledger_version",
              denied("schema tenantshift"))
          .until(State::kFull));
  // Locking the throttle probe's row would stall every probe: the backfill would crawl.
  add(refused("lock the backfill throttle probe's row", kOwn,
              "SELECT FROM tenantshift.probe_commit FOR UPDATE", denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("forge a step in the ledger", kOwn,
              "INSERT INTO tenantshift.step (migration, step_id, phase, ordinal, checksum) "
              "VALUES ('rentals', 'x', 'rls', 0, 'x')",
              denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("take the runner lock row", kOwn,
              "UPDATE tenantshift.runner_lock SET runner_id = 'attacker', "
              "holder_pid = pg_backend_pid(), holder_backend_start = now()",
              denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("delete the runner lock row", kOwn, "DELETE FROM tenantshift.runner_lock",
              denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("lock the runner lock table", kOwn,
              "LOCK TABLE tenantshift.runner_lock IN ACCESS EXCLUSIVE MODE",
              denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("truncate the backfill cursors", kOwn, "TRUNCATE tenantshift.backfill_cursor",
              denied("schema tenantshift"))
          .until(State::kFull));

  // DDL on tenant tables.
  add(refused("DISABLE ROW LEVEL SECURITY", kOwn,
              "ALTER TABLE customers DISABLE ROW LEVEL SECURITY", notOwner("table customers"))
          .until(State::kFull));
  add(refused("NO FORCE ROW LEVEL SECURITY", kOwn,
              "ALTER TABLE customers NO FORCE ROW LEVEL SECURITY", notOwner("table customers"))
          .until(State::kFull));
  add(refused("DROP POLICY", kOwn, "DROP POLICY tenantshift_select ON customers",
              notOwner("relation customers")));
  add(refused("CREATE POLICY", kOwn,
              "CREATE POLICY attack ON customers FOR SELECT TO rentals_app USING (true)",
              notOwner("table customers"))
          .until(State::kFull));
  add(refused("ALTER POLICY", kOwn, "ALTER POLICY tenantshift_select ON customers USING (true)",
              notOwner("table customers"))
          .until(State::kFull));
  add(refused("TRUNCATE a tenant table", kOwn, "TRUNCATE customers CASCADE",
              denied("table customers"))
          .until(State::kFull));
  add(refused("CREATE TRIGGER on a tenant table", kOwn,
              "CREATE FUNCTION pg_temp.t() RETURNS trigger LANGUAGE plpgsql AS "
              "$$BEGIN RETURN NEW; END$$; "
              "CREATE TRIGGER attack BEFORE INSERT ON notes FOR EACH ROW "
              "EXECUTE FUNCTION pg_temp.t()",
              denied("table notes"))
          .until(State::kFull));
  add(refused("disable the tenant triggers", kOwn, "ALTER TABLE rentals DISABLE TRIGGER ALL",
              notOwner("table rentals"))
          .until(State::kFull));
  add(refused("drop the tenant column", kOwn, "ALTER TABLE customers DROP COLUMN branch_id CASCADE",
              notOwner("table customers"))
          .until(State::kFull));
  add(refused("drop the tenant column's NOT NULL", kOwn,
              "ALTER TABLE customers ALTER COLUMN branch_id DROP NOT NULL",
              notOwner("table customers"))
          .until(State::kFull));
  add(refused("DROP TABLE", kOwn, "DROP TABLE notes", notOwner("table notes")).until(State::kFull));
  add(refused("CREATE RULE", kOwn, "CREATE RULE attack AS ON INSERT TO notes DO INSTEAD NOTHING",
              notOwner("table notes"))
          .until(State::kFull));
  add(refused("take ownership of a tenant table", kOwn,
              "ALTER TABLE customers OWNER TO rentals_app", notOwner("table customers"))
          .until(State::kFull));
  add(refused("CREATE TABLE in public", kOwn, "CREATE TABLE public.attack (id integer)",
              denied("schema public"))
          .until(State::kFull));
  add(refused(
      "SET row_security = off", kOwn,
      "SET LOCAL row_security = off; SELECT count(*) FROM customers",
      Refusal{"42501",
              "query would be affected by row-level security policy for table \"customers\""}));
  add(refused("SET session_replication_role = replica (skip the triggers)", kOwn,
              "SET LOCAL session_replication_role = replica",
              Refusal{"42501", "permission denied to set parameter \"session_replication_role\""})
          .until(State::kFull));

  // Role escalation.
  add(refused("SET ROLE to the table owner", kOwn, "SET ROLE rentals_owner",
              Refusal{"42501", "permission denied to set role \"rentals_owner\""})
          .until(State::kFull));
  add(refused("SET ROLE to the bypass role", kOwn, "SET ROLE {bypass_role}",
              Refusal{"42501", "permission denied to set role \"{bypass_role}\""})
          .until(State::kDisableRls));
  add(refused("SET ROLE to the superuser", kOwn, "SET ROLE postgres",
              Refusal{"42501", "permission denied to set role \"postgres\""})
          .until(State::kFull));
  add(refused("SET SESSION AUTHORIZATION", kOwn, "SET SESSION AUTHORIZATION postgres",
              Refusal{"42501", "permission denied to set session authorization"})
          .until(State::kFull));
  add(refused("GRANT the bypass role to self", kOwn, "GRANT {bypass_role} TO rentals_app",
              Refusal{"42501", "must have admin option on role \"{bypass_role}\""})
          .until(State::kDisableRls));
  add(refused("GRANT the owner role to self", kOwn, "GRANT rentals_owner TO rentals_app",
              Refusal{"42501", "must have admin option on role \"rentals_owner\""})
          .until(State::kFull));
  add(refused("ALTER ROLE self BYPASSRLS", kOwn, "ALTER ROLE rentals_app BYPASSRLS",
              Refusal{"42501", "must be superuser to change bypassrls attribute"})
          .until(State::kFull));
  add(refused("ALTER ROLE self SUPERUSER", kOwn, "ALTER ROLE rentals_app SUPERUSER",
              Refusal{"42501",
                      "must be superuser to alter superuser roles or change superuser attribute"})
          .until(State::kFull));
  add(refused("CREATE ROLE with BYPASSRLS", kOwn, "CREATE ROLE attacker BYPASSRLS",
              Refusal{"42501", "must be superuser to create bypassrls users"})
          .until(State::kFull));
  add(refused("a default tenant for the role (ALTER ROLE SET)", kOwn,
              "ALTER ROLE rentals_app SET app.current_branch_id = '3'",
              Refusal{"42501", "permission denied to set parameter \"app.current_branch_id\""})
          .until(State::kFull));
  add(refused("a default tenant for the database (ALTER DATABASE SET)", kOwn,
              "DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET app.current_branch_id = ''3''', "
              "current_database()); END$$",
              notOwner("database "))
          .until(State::kFull));
  add(refused("GRANT self the ledger", kOwn, "GRANT SELECT ON tenantshift.step TO rentals_app",
              denied("schema tenantshift"))
          .until(State::kFull));
  add(refused("read pg_authid", kOwn, "SELECT count(*) FROM pg_authid", denied("table pg_authid"))
          .until(State::kFull));

  // Files, large objects, dblink.
  add(refused("pg_read_file", kOwn, "SELECT pg_read_file('/etc/passwd')",
              denied("function pg_read_file"))
          .until(State::kFull));
  add(refused("pg_read_binary_file", kOwn, "SELECT pg_read_binary_file('postgresql.conf')",
              denied("function pg_read_binary_file"))
          .until(State::kFull));
  add(refused("pg_ls_dir", kOwn, "SELECT count(*) FROM pg_ls_dir('.')",
              denied("function pg_ls_dir"))
          .until(State::kFull));
  add(refused("pg_stat_file", kOwn, "SELECT pg_stat_file('postgresql.conf')",
              denied("function pg_stat_file"))
          .until(State::kFull));
  add(refused("COPY a tenant table to a server file", kOwn,
              "COPY customers TO '/tmp/tenantshift-attack.csv'",
              Refusal{"42501",
                      "must be superuser or have privileges of the pg_write_server_files role to "
                      "COPY to a file"})
          .until(State::kFull));
  add(refused("COPY FROM PROGRAM", kOwn, "COPY notes (body) FROM PROGRAM 'id'",
              Refusal{"42501",
                      "must be superuser or have privileges of the pg_execute_server_program role "
                      "to COPY to or from an external program"})
          .until(State::kFull));
  add(refused("lo_import a server file", kOwn, "SELECT lo_import('/etc/passwd')",
              denied("function lo_import"))
          .until(State::kFull));
  add(refused("lo_export a large object to a server file", kOwn,
              "SELECT lo_export({large_object}, '/tmp/tenantshift-attack')",
              denied("function lo_export"))
          .until(State::kFull));
  add(refused("read another role's large object", kOwn, "SELECT lo_get({large_object})",
              denied("large object {large_object}"))
          .until(State::kFull));
  add(refused("create a large object (lo_create)", kOwn, "SELECT lo_create(0)",
              denied("function lo_create"))
          .until(State::kFull));
  add(refused("create a large object (lo_from_bytea)", kOwn,
              "SELECT lo_from_bytea(0, 'shared by every tenant')", denied("function lo_from_bytea"))
          .until(State::kFull));
  add(refused("dblink to the superuser", kOwn,
              "SELECT dblink_connect('dbname=postgres user=postgres')",
              Refusal{"42883", "function dblink_connect(unknown) does not exist"})
          .until(State::kFull));
  add(refused("CREATE EXTENSION dblink", kOwn, "CREATE EXTENSION dblink",
              Refusal{"42501", "permission denied to create extension \"dblink\""})
          .until(State::kFull));

  // Pooled connections: what one request leaves on its connection for the next. The safe form,
  // set_config(..., true), ends with its transaction; a session-level setting does not, and is
  // the application's to avoid (or its pooler's to reset).
  const std::string sessionB = "SELECT set_config('app.current_branch_id', '3', false)";
  const std::string tenantAndRows =
      "SELECT '[' || current_setting('app.current_branch_id', true) || ']' || "
      "(SELECT count(*) FROM customers)";
  add(value("pooled: a transaction-local tenant ends with its transaction", std::nullopt,
            tenantAndRows, "[]0")
          .after({"BEGIN; SELECT set_config('app.current_branch_id', '3', true); COMMIT"})
          .until(State::kEnforced));
  add(value("pooled: the next transaction's own tenant wins over a session-level one", kOwn,
            "SELECT count(*) FILTER (WHERE branch_id <> 2) || '/' || count(*) FROM customers",
            "0/{own_customers}")
          .after({sessionB}));
  add(value("pooled: a session-level tenant carries over into the next transaction", std::nullopt,
            "SELECT count(*) FILTER (WHERE branch_id = 3) || '/' || count(*) FROM customers",
            "{b_customers}/{b_customers}")
          .after({sessionB})
          .asExposure("only the application can set the tenant per transaction "
                      "(set_config(..., true)); a session-level setting shows its tenant's rows "
                      "to the next request on the connection"));
  add(value("pooled: DISCARD ALL (the pooler's reset) ends a session-level tenant", std::nullopt,
            tenantAndRows, "[]0")
          .after({sessionB, "DISCARD ALL"})
          .until(State::kEnforced));

  // Prepared statements and cursors: a plan reads the tenant when it runs, a cursor keeps the
  // rows of the tenant it started with.
  const std::string prepareAsA =
      "BEGIN; SELECT set_config('app.current_branch_id', '2', true); "
      "PREPARE counts AS SELECT count(*) FILTER (WHERE branch_id <> 3) || '/' || count(*) "
      "FROM customers; EXECUTE counts; COMMIT";
  add(value("prepared: a generic plan made as A, executed as B, returns B's rows only", kForeign,
            "EXECUTE counts", "0/{b_customers}")
          .after({"SET plan_cache_mode = force_generic_plan", prepareAsA}));
  add(value("prepared: a plan made as A, executed with no tenant, returns nothing", std::nullopt,
            "EXECUTE counts", "0/0")
          .after({prepareAsA})
          .until(State::kEnforced));
  const std::string holdAsA =
      "BEGIN; SELECT set_config('app.current_branch_id', '2', true); "
      "DECLARE held CURSOR WITH HOLD FOR SELECT branch_id FROM customers; COMMIT";
  add(everyRow("cursor: WITH HOLD, declared as A, fetched as B, yields A's rows only", kForeign,
               "FETCH ALL FROM held", kOwn)
          .after({holdAsA})
          .asExposure("a WITH HOLD cursor keeps the rows of the tenant it was declared under for "
                      "as long as the connection lives: whoever fetches from it next on a pooled "
                      "connection gets them; only the application (closing it in the request "
                      "that opened it) or the pooler's DISCARD ALL can end it"));
  add(refused("cursor: DISCARD ALL (the pooler's reset) closes a held cursor", kForeign,
              "FETCH ALL FROM held", Refusal{"34000", "cursor \"held\" does not exist"})
          .after({holdAsA, "DISCARD ALL"}));
  // A sequential scan evaluates its filter per row: the policy's sub-select reads the tenant
  // once, when the scan starts (an index scan computes its keys once in any case).
  add(everyRow("cursor: started as A, switched to B between fetches, stays on A", kOwn,
               "SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; "
               "SET LOCAL enable_bitmapscan = off; "
               "DECLARE c CURSOR FOR SELECT branch_id FROM customers; FETCH 3 FROM c; "
               "SELECT set_config('app.current_branch_id', '3', true); FETCH ALL FROM c",
               kOwn));

  // LISTEN/NOTIFY (exposures_test.cpp sends and receives): the migration itself never notifies.
  add(value("the functions the migration created send no NOTIFY", kOwn,
            "SELECT count(*) FILTER (WHERE p.prosrc ~* 'notify') || '/' || (count(*) > 0) "
            "FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace "
            "AND (p.proname LIKE 'tenantshift\\_%\\_tenant' OR p.proname = 'tenant_id_for_slug')",
            "0/true")
          .until(State::kDisableRls));

  // Writable CTEs: a data-modifying WITH sees the rows the policies let the statement see.
  add(value("writable CTE: UPDATE B's customers ... RETURNING", kOwn,
            "WITH x AS (UPDATE customers SET first_name = 'pwned' WHERE branch_id = 3 "
            "RETURNING *) SELECT count(*) FROM x",
            "0"));
  add(value("writable CTE: UPDATE B's customer by primary key ... RETURNING", kOwn,
            "WITH x AS (UPDATE customers SET email = 'pwned@example.com' "
            "WHERE customer_id = {b_customer} RETURNING *) SELECT count(*) FROM x",
            "0"));
  add(value("writable CTE: DELETE B's api logs ... RETURNING", kOwn,
            "WITH x AS (DELETE FROM api_logs WHERE branch_id = 3 RETURNING *) "
            "SELECT count(*) FROM x",
            "0"));
  add(value("writable CTE: INSERT ... SELECT of B's rows ... RETURNING", kOwn,
            "WITH x AS (INSERT INTO notes (body) SELECT email FROM customers WHERE branch_id = 3 "
            "RETURNING *) SELECT count(*) FROM x",
            "0"));
  add(value("writable CTE: UPDATE A's own customers (sanity: the CTE does update)", kOwn,
            "WITH x AS (UPDATE customers SET first_name = first_name WHERE branch_id = 2 "
            "RETURNING *) SELECT count(*) FROM x",
            "{own_customers}"));

  // Unique oracle: unique keys lead with the tenant, so B's values do not collide with A's.
  // After flag-off the global keys are back (the unchanged application's ON CONFLICT (email)
  // needs them), and with them the oracle.
  const std::string customerWithBsEmail =
      "INSERT INTO customers (store_id, first_name, last_name, email) "
      "VALUES ({a_store}, 'x', 'y', '{b_email}') ";
  add(value("unique oracle: an A customer with B's email is accepted (no duplicate key error)",
            kOwn, customerWithBsEmail + "RETURNING branch_id", kOwn)
          .until(State::kEnforced));
  add(value("unique oracle: ON CONFLICT (branch_id, email) DO UPDATE with B's email inserts A's",
            kOwn,
            customerWithBsEmail +
                "ON CONFLICT (branch_id, email) DO UPDATE SET first_name = 'pwned' "
                "RETURNING branch_id || '/' || (xmax = 0)",
            "2/true")
          .until(State::kEnforced));
  add(refused("unique oracle: ON CONFLICT ON CONSTRAINT with B's email and id", kOwn,
              "INSERT INTO customers (store_id, first_name, last_name, email, branch_id) "
              "VALUES ({a_store}, 'x', 'y', '{b_email}', 3) ON CONFLICT ON CONSTRAINT "
              "customers_email_key DO UPDATE SET first_name = 'pwned'",
              rowSecurity("customers")));

  // Temporary objects: the policies are bound to pg_catalog's functions when they are created,
  // and PostgreSQL never looks up a function or operator in pg_temp unless it is named.
  const std::string shadow =
      "CREATE FUNCTION pg_temp.current_setting(text, boolean) RETURNS text LANGUAGE sql AS "
      "$$SELECT '3'$$; SET LOCAL search_path = pg_temp, public, pg_catalog; ";
  add(value("temp function shadowing current_setting (pg_temp first) does not steer the policies",
            kOwn,
            shadow + "SELECT pg_temp.current_setting('x', true) || '/' || "
                     "count(*) FILTER (WHERE branch_id <> 2) || '/' || count(*) FROM customers",
            "3/0/{own_customers}"));
  add(value("temp function shadowing current_setting, no tenant set", std::nullopt,
            shadow + "SELECT pg_temp.current_setting('x', true) || '/' || count(*) FROM customers",
            "3/0")
          .until(State::kEnforced));
  add(value("the policies call no function the app could replace (only pinned pg_catalog ones)",
            kOwn,
            "SELECT count(*) FILTER (WHERE d.refclassid = 'pg_proc'::regclass) || '/' || "
            "(count(*) > 0) FROM pg_depend d WHERE d.classid = 'pg_policy'::regclass",
            "0/true"));
  add(value("temp table shadowing the tenants table does not steer the lookup function", kOwn,
            "CREATE TEMP TABLE branches (id bigint, slug text); "
            "INSERT INTO branches VALUES (3, 'evil'); "
            "SELECT coalesce(tenant_id_for_slug('evil')::text, 'NULL')",
            "NULL"));

  // Metadata that stays open (README): the catalog and the statistics views count every
  // tenant's rows; pg_stats hides the statistics of tables under row-level security.
  add(value("pg_class.reltuples counts every tenant's rows", kOwn,
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'public.customers'::regclass",
            "{all_customers}")
          .until(State::kEnforced)
          .asExposure("row counts (and pages) in pg_class are the table's, all tenants together"));
  add(value("pg_stat_user_tables counts every tenant's rows", kOwn,
            "SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = 'public.customers'::regclass",
            "{all_customers}")
          .until(State::kEnforced)
          .asExposure("the statistics collector's counters (live rows, inserts, scans) are the "
                      "table's, all tenants together"));
  add(value("pg_stats shows a global table's statistics (the tenant tables' are hidden)", kOwn,
            "SELECT (count(*) > 0)::text FROM pg_stats WHERE schemaname = 'public' "
            "AND tablename = 'films'",
            "true"));
  add(value("the app role reads no other role's sessions (not in pg_read_all_stats)", kOwn,
            "SELECT (pg_has_role('pg_read_all_stats', 'MEMBER') "
            "OR pg_has_role('pg_monitor', 'MEMBER'))::text",
            "false")
          .until(State::kFull));

  // What the migration leaves behind, and what a rollback must not leave: the ledger closed,
  // no way into a role that bypasses RLS, the migration's functions not the app's to run.
  add(value("no privilege on anything in the ledger schema", kOwn,
            "SELECT has_schema_privilege('tenantshift', 'USAGE') || '/' || "
            "has_schema_privilege('tenantshift', 'CREATE') || '/' || "
            "(SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'tenantshift'::regnamespace "
            "AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND has_table_privilege(c.oid, "
            "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')) || '/' || "
            "(SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'tenantshift'::regnamespace "
            "AND has_function_privilege(p.oid, 'EXECUTE'))",
            "false/false/0/0")
          .until(State::kFull));
  add(value("the app can become no superuser and no role that bypasses RLS", kOwn,
            "SELECT count(*) FROM pg_roles r WHERE (r.rolsuper OR r.rolbypassrls) "
            "AND pg_has_role(r.oid, 'MEMBER')",
            "0")
          .until(State::kFull));
  add(value("the app can grant no role (no ADMIN OPTION, no CREATEROLE)", kOwn,
            "SELECT count(*) FROM pg_roles r WHERE (r.rolname <> current_user "
            "AND pg_has_role(r.oid, 'MEMBER WITH ADMIN OPTION')) "
            "OR (r.rolname = current_user AND r.rolcreaterole)",
            "0")
          .until(State::kFull));
  add(value("the app can run none of the migration's trigger functions", kOwn,
            "SELECT count(*) FROM pg_proc p WHERE p.proname LIKE 'tenantshift\\_%\\_tenant' "
            "AND has_function_privilege(p.oid, 'EXECUTE')",
            "0")
          .until(State::kFull));
  add(refused("call a trigger function of the migration directly", kOwn,
              "SELECT public.tenantshift_customers_tenant()",
              denied("function tenantshift_customers_tenant"))
          .until(State::kDisableRls));
  add(value("no SECURITY DEFINER function the app can run, in any schema, but the lookup", kOwn,
            "SELECT coalesce(string_agg(p.oid::regprocedure::text, ','), '') FROM pg_proc p "
            "WHERE p.prosecdef AND has_function_privilege(p.oid, 'EXECUTE') "
            "AND p.oid IS DISTINCT FROM to_regprocedure('public.tenant_id_for_slug(text)')",
            "")
          .until(State::kFull));
  return cases;
}

std::vector<Attack> attackCasesIn(State state) {
  std::vector<Attack> cases;
  for (auto& attack : attackCases()) {
    if (state <= attack.holdsUntil) {
      cases.push_back(std::move(attack));
    }
  }
  return cases;
}

}  // namespace tenantshift::attacks
