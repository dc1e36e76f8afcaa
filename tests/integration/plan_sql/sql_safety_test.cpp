// SQL safety against the database's owner (issue 7, item 10): the owner of a database (not a
// superuser) chooses its table and column names and its defaults (`ALTER DATABASE ... SET`), and
// the migration runs as a superuser. Neither may get the owner's SQL run with the migration's
// rights: not a quoted literal broken out of with standard_conforming_strings off, not a function
// of a schema the owner put before pg_catalog on the search_path, not a dollar-quote tag in an
// identifier.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "plan/sql_identifier.h"
#include "support/postgres_server.h"
#include "support/scratch_files.h"
#include "support/tenantshift_process.h"

namespace tenantshift::plan {
namespace {

using tenantshift::testing::PostgresServer;
using tenantshift::testing::runTenantshift;

// Text a database owner could put in a name or a value, each read back through quoteLiteral.
const std::vector<std::string>& hostileTexts() {
  static const std::vector<std::string> texts = {
      "plain",      "O'Brien",       "back\\slash", "x\\'; SELECT 1; --", "\\\\'",
      "trailing\\", "\\x41\\101\\n", "'\\''",       "$ts$ $ts1$\\'",      "\"public\".\"x\\'\"",
  };
  return texts;
}

std::string literalRead(pqxx::connection& connection, const std::string& conforming,
                        const std::string& text) {
  pqxx::work tx(connection);
  tx.exec("SET LOCAL standard_conforming_strings = " + conforming);
  const std::string read = tx.exec1("SELECT " + quoteLiteral(text))[0].as<std::string>();
  tx.abort();
  return read;
}

TEST(QuoteLiteralOnARealServer, ReadsBackEveryValueWhateverStandardConformingStringsIs) {
  auto& server = PostgresServer::shared();
  pqxx::connection connection(server.createDatabase("quote_literal"));
  for (const std::string& text : hostileTexts()) {
    for (const char* conforming : {"on", "off"}) {
      SCOPED_TRACE(std::string("standard_conforming_strings = ") + conforming + ", " +
                   quoteLiteral(text));
      std::string read;
      try {
        read = literalRead(connection, conforming, text);
      } catch (const pqxx::sql_error& error) {
        read = std::string("refused: ") + error.what();
      }
      EXPECT_EQ(read, text);
    }
  }
}

// A database whose owner made its defaults hostile: standard_conforming_strings off and a schema
// of its own before pg_catalog on the search_path, holding functions named like the built-ins the
// migration's SQL calls (each notes who called it, then does what the built-in does); tables and
// columns named with a backslash-quote and the dollar-quote tag.
class HostileOwner : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = PostgresServer::shared();
    url_ = server.createDatabase("hostile_owner");
    database_ = url_.substr(url_.rfind('/') + 1);
    owner_ = database_ + "_owner";
    app_ = database_ + "_app";
    server.psql(url_, "CREATE ROLE " + owner_ + " LOGIN; CREATE ROLE " + app_ + " LOGIN;" +
                          "ALTER DATABASE " + database_ + " OWNER TO " + owner_ + ";" +
                          "GRANT CREATE ON SCHEMA public TO " + owner_ + ";");
    // What the owner does, as the owner.
    server.psql(ownerUrl(), R"sql(
      CREATE SCHEMA owned;
      CREATE TABLE owned.calls (name text, called_by name DEFAULT current_user);
      GRANT USAGE ON SCHEMA owned TO PUBLIC;
      GRANT INSERT ON owned.calls TO PUBLIC;
      CREATE FUNCTION owned.now() RETURNS timestamptz LANGUAGE plpgsql AS
        $f$BEGIN INSERT INTO owned.calls (name) VALUES ('now'); RETURN pg_catalog.now(); END$f$;
      CREATE FUNCTION owned.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS
        $f$BEGIN INSERT INTO owned.calls (name) VALUES ('set_config');
           RETURN pg_catalog.set_config($1, $2, $3); END$f$;
      CREATE FUNCTION owned.left(text, integer) RETURNS text LANGUAGE plpgsql AS
        $f$BEGIN INSERT INTO owned.calls (name) VALUES ('left');
           RETURN pg_catalog.left($1, $2); END$f$;
      CREATE FUNCTION owned.md5(text) RETURNS text LANGUAGE plpgsql AS
        $f$BEGIN INSERT INTO owned.calls (name) VALUES ('md5'); RETURN pg_catalog.md5($1); END$f$;
      CREATE FUNCTION owned.lower(text) RETURNS text LANGUAGE plpgsql AS
        $f$BEGIN INSERT INTO owned.calls (name) VALUES ('lower'); RETURN pg_catalog.lower($1); END$f$;
      CREATE FUNCTION owned.length(text) RETURNS integer LANGUAGE plpgsql AS
        $f$BEGIN INSERT INTO owned.calls (name) VALUES ('length');
           RETURN pg_catalog.length($1); END$f$;

      CREATE TABLE public.stores (store_id integer PRIMARY KEY, name text NOT NULL);
      CREATE TABLE public."orders\'$ts$;--" (
        id integer PRIMARY KEY,
        "store\'$ts$id" integer NOT NULL REFERENCES public.stores,
        note text NOT NULL);
      CREATE INDEX "orders\'$ts$_note" ON public."orders\'$ts$;--" (note);
      CREATE TABLE public.flags (name text PRIMARY KEY, enabled boolean NOT NULL);
      INSERT INTO public.stores SELECT g, 'store ' || g FROM generate_series(1, 3) g;
      INSERT INTO public."orders\'$ts$;--" SELECT g, 1 + g % 3, 'it''s \ ' || g
        FROM generate_series(1, 30) g;
      INSERT INTO public.flags VALUES ('tenants', false);
    )sql" + std::string("GRANT SELECT, INSERT, UPDATE ON public.stores, ") +
                                "public.\"orders\\'$ts$;--\" TO " + app_ + ";" + "ALTER DATABASE " +
                                database_ + " SET standard_conforming_strings = off;" +
                                "ALTER DATABASE " + database_ +
                                " SET search_path = owned, pg_catalog, public;");
    manifest_ = scratch_.path() / "hostile.yaml";
    std::ofstream(manifest_) << R"(apiVersion: tenantshift.dev/v1alpha1
kind: TenantMigration
metadata:
  name: hostile
spec:
  database:
    schema: public
    appRole: )" << app_ << R"(
  tenant:
    table: tenants
    idType: bigint
    setting: app.tenant
    default:
      id: "1"
      slug: default
      name: Default
  exclude: [flags]
  backfill:
    batchSize: 7
    pause: 0ms
  featureFlag:
    sql:
      "on": "UPDATE flags SET enabled = true WHERE name = 'tenants'"
      "off": "UPDATE flags SET enabled = false WHERE name = 'tenants'"
)";
  }

  std::string ownerUrl() const {
    std::string url = url_;
    url.replace(url.find("postgres@"), 8, owner_);
    return url;
  }

  // As the superuser, with the defaults the test itself means (not the owner's).
  std::string query(const std::string& sql) const {
    pqxx::connection connection(url_);
    pqxx::work tx(connection);
    tx.exec("SET LOCAL standard_conforming_strings = on; SET LOCAL search_path = pg_catalog");
    const pqxx::row row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  std::string calls() const {
    return query(
        "SELECT coalesce(string_agg(name || ' by ' || called_by, ', '), 'none') "
        "FROM owned.calls");
  }

  std::string url_;
  std::string database_;
  std::string owner_;
  std::string app_;
  tenantshift::testing::ScratchDir scratch_;
  std::filesystem::path manifest_;
};

TEST_F(HostileOwner, NeitherItsDefaultsNorItsNamesGetSqlRunAsTheMigration) {
  const auto run = runTenantshift(url_, {"run", "-f", manifest_.string()});
  ASSERT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(calls(), "none") << "the migration called functions of the owner's schema";
  // The conversion did what it says, names and values intact.
  EXPECT_EQ(query("SELECT count(*) FROM public.\"orders\\'$ts$;--\" "
                  "WHERE tenant_id IS NULL"),
            "0");
  EXPECT_EQ(query("SELECT count(*) FROM pg_constraint "
                  "WHERE conrelid = 'public.\"orders\\''$ts$;--\"'::regclass "
                  "AND contype = 'f' AND array_length(conkey, 1) = 2"),
            "1")
      << "the tenant-consistent foreign key (its DO block names the table in a literal)";
  EXPECT_EQ(query("SELECT enabled::text FROM public.flags"), "true")
      << "the feature flag's SQL names its table as the application does";
  EXPECT_EQ(query("SELECT count(*) FROM pg_policy p WHERE p.polrelid = "
                  "'public.\"orders\\''$ts$;--\"'::regclass"),
            "4");
  // The trigger function (SECURITY DEFINER, the owner's column name in its body) is pinned.
  EXPECT_EQ(query("SELECT array_to_string(proconfig, ';') FROM pg_proc "
                  "WHERE proname = 'tenantshift_orders\\''$ts$;--_tenant'"),
            "search_path=pg_catalog, pg_temp");

  const auto rollback =
      runTenantshift(url_, {"rollback", "-f", manifest_.string(), "--scenario", "full"});
  ASSERT_EQ(rollback.exitCode, 0) << rollback.output;
  EXPECT_EQ(calls(), "none") << "the rollback called functions of the owner's schema";
  EXPECT_EQ(query("SELECT count(*) FROM pg_attribute WHERE attrelid = "
                  "'public.\"orders\\''$ts$;--\"'::regclass AND attname = 'tenant_id' "
                  "AND NOT attisdropped"),
            "0");
  EXPECT_EQ(query("SELECT count(*) FROM public.\"orders\\'$ts$;--\" "
                  "WHERE note = 'it''s \\ ' || id"),
            "30");
}

}  // namespace
}  // namespace tenantshift::plan
