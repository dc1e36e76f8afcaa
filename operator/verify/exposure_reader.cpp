#include "verify/exposure_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "verify/catalog_sql.h"
#include "verify/sql_support.h"

namespace tenantshift::verify {

namespace {

// Parses grantsJson() output into one Grant per grantee.
std::vector<Grant> parseGrants(const pqxx::field& field) {
  std::vector<Grant> out;
  if (field.is_null()) {
    return out;
  }
  for (const auto& item : nlohmann::json::parse(field.c_str())) {
    const auto grantee = item.at("grantee").get<std::string>();
    const bool owner = item.at("owner").get<bool>();
    auto it = std::find_if(out.begin(), out.end(), [&](const Grant& grant) {
      return grant.grantee == grantee && grant.owner == owner;
    });
    if (it == out.end()) {
      out.push_back({grantee, owner, {}});
      it = out.end() - 1;
    }
    it->privileges.push_back(item.at("privilege").get<std::string>());
  }
  return out;
}

class ExposureReader {
 public:
  ExposureReader(pqxx::transaction_base& tx, std::string schema,
                 const std::vector<RelationFacts>& relations, std::string appOid)
      : tx_(tx), schema_(std::move(schema)), appOid_(std::move(appOid)) {
    std::vector<std::string> oids;
    for (const RelationFacts& relation : relations) {
      if (relation.exists) {
        oids.push_back(relation.oid);
        labels_[relation.oid] = relation.label(schema_);
      }
    }
    scopeOids_ = jsonList(oids);
  }

  ExposureFacts read() {
    ExposureFacts facts;
    facts.views = readViews();
    facts.functions = readFunctions();
    std::set<std::string> owners;
    for (const ViewFacts& view : facts.views) {
      owners.insert(view.owner);
    }
    for (const FunctionFacts& function : facts.functions) {
      owners.insert(function.owner);
    }
    facts.owners = readOwners(std::vector<std::string>(owners.begin(), owners.end()));
    facts.ledger = readLedger();
    facts.globalTables = readGlobalTables();
    facts.largeObjects = readLargeObjects();
    return facts;
  }

 private:
  std::vector<std::string> labelsOf(const pqxx::field& field) const {
    std::vector<std::string> out;
    for (const std::string& oid : parseJsonList(field)) {
      auto it = labels_.find(oid);
      if (it != labels_.end()) {
        out.push_back(it->second);
      }
    }
    return out;
  }

  std::vector<ViewFacts> readViews() {
    // A view's (or materialized view's) query is its _RETURN rule, which depends on every
    // relation it reads directly; views over views are followed recursively.
    auto rows = tx_.exec_params(
        "WITH RECURSIVE scope AS ("
        "  SELECT json_array_elements_text($1::json)::oid AS oid"
        "), reads AS ("
        "  SELECT DISTINCT rw.ev_class AS view_oid, d.refobjid AS read_oid"
        "    FROM pg_catalog.pg_depend d"
        "    JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid"
        "   WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass"
        "     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND rw.ev_class <> d.refobjid"
        "), reaching AS ("
        "  SELECT r.view_oid AS oid FROM reads r WHERE r.read_oid IN (SELECT oid FROM scope)"
        "  UNION"
        "  SELECT r.view_oid FROM reads r JOIN reaching x ON r.read_oid = x.oid"
        ")"
        "SELECT n.nspname, v.relname, v.relkind = 'm',"
        "       COALESCE((SELECT o.option_value::boolean"
        "                   FROM pg_catalog.pg_options_to_table(v.reloptions) o"
        "                  WHERE o.option_name = 'security_invoker'), false),"
        "       pg_catalog.pg_get_userbyid(v.relowner)::text, " +
            ifAppRole("$2::oid", "pg_catalog.has_table_privilege($2::oid, v.oid, 'SELECT')") +
            ","
            "       (SELECT json_agg(r.read_oid::text ORDER BY r.read_oid) FROM reads r"
            "         WHERE r.view_oid = v.oid AND r.read_oid IN (SELECT oid FROM scope))::text,"
            "       (SELECT json_agg(rn.nspname || '.' || rc.relname ORDER BY rn.nspname, "
            "rc.relname) FROM reads r"
            "          JOIN pg_catalog.pg_class rc ON rc.oid = r.read_oid"
            "          JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace"
            "         WHERE r.view_oid = v.oid AND r.read_oid IN (SELECT oid FROM reaching))::text"
            "  FROM pg_catalog.pg_class v"
            "  JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace"
            " WHERE v.oid IN (SELECT oid FROM reaching) AND v.relkind IN ('v', 'm')"
            " ORDER BY n.nspname, v.relname",
        scopeOids_, appOid_);
    std::vector<ViewFacts> out;
    for (const auto& row : rows) {
      ViewFacts view;
      view.schema = row[0].as<std::string>();
      view.name = row[1].as<std::string>();
      view.materialized = row[2].as<bool>();
      view.securityInvoker = row[3].as<bool>();
      view.owner = row[4].as<std::string>();
      view.appCanSelect = row[5].as<bool>();
      view.readsRelations = labelsOf(row[6]);
      view.readsViews = parseJsonList(row[7]);
      out.push_back(std::move(view));
    }
    return out;
  }

  std::vector<FunctionFacts> readFunctions() {
    auto rows = tx_.exec_params(
        "SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),"
        "       pg_catalog.oidvectortypes(p.proargtypes),"
        "       pg_catalog.pg_get_userbyid(p.proowner)::text, " +
            ifAppRole("$1::oid", "pg_catalog.has_function_privilege($1::oid, p.oid, 'EXECUTE')") +
            ", p.prorettype IN ('pg_catalog.trigger'::regtype, "
            "'pg_catalog.event_trigger'::regtype)"
            "  FROM pg_catalog.pg_proc p"
            "  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            " WHERE p.prosecdef"
            "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'tenantshift')"
            "   AND " +
            ifAppRole("$1::oid", "pg_catalog.has_schema_privilege($1::oid, n.oid, 'USAGE')") +
            " ORDER BY n.nspname, p.proname, 3",
        appOid_);
    std::vector<FunctionFacts> out;
    for (const auto& row : rows) {
      FunctionFacts function;
      function.schema = row[0].as<std::string>();
      function.name = row[1].as<std::string>();
      function.identityArguments = row[2].as<std::string>();
      function.argumentTypes = row[3].as<std::string>();
      function.owner = row[4].as<std::string>();
      function.appCanExecute = row[5].as<bool>();
      function.returnsTrigger = row[6].as<bool>();
      out.push_back(std::move(function));
    }
    return out;
  }

  RoleMap readOwners(const std::vector<std::string>& names) {
    RoleMap out;
    auto rows = tx_.exec_params(
        "SELECT r.rolname, r.rolsuper, r.rolbypassrls,"
        "       (SELECT json_agg(c.oid::text ORDER BY c.oid) FROM pg_catalog.pg_class c"
        "         WHERE c.oid IN (SELECT json_array_elements_text($2::json)::oid)"
        "           AND pg_catalog.pg_has_role(r.oid, c.relowner, 'USAGE'))::text"
        "  FROM pg_catalog.pg_roles r"
        " WHERE r.rolname IN (SELECT json_array_elements_text($1::json))",
        jsonList(names), scopeOids_);
    for (const auto& row : rows) {
      RoleAttributes role;
      role.name = row[0].as<std::string>();
      role.superuser = row[1].as<bool>();
      role.bypassRls = row[2].as<bool>();
      role.ownerOf = labelsOf(row[3]);
      out[role.name] = std::move(role);
    }
    return out;
  }

  LedgerFacts readLedger() {
    LedgerFacts facts;
    facts.schemaExists =
        !tx_.exec_params("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'tenantshift'")
             .empty();
    if (!facts.schemaExists) {
      return facts;
    }
    const std::string app = "$1::oid";
    auto rows = tx_.exec_params(
        "SELECT 'SCHEMA', quote_ident(n.nspname), " +
            grantsJson("n.nspacl", "'n'::\"char\"", "n.nspowner", "ARRAY['USAGE', 'CREATE']", app) +
            "::text FROM pg_catalog.pg_namespace n WHERE n.nspname = 'tenantshift'"
            " UNION ALL "
            "SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,"
            "       quote_ident(n.nspname) || '.' || quote_ident(c.relname), " +
            grantsJson("c.relacl", "(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::\"char\"",
                       "c.relowner",
                       "ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', "
                       "'TRIGGER', 'USAGE']",
                       app) +
            "::text FROM pg_catalog.pg_class c"
            "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'tenantshift' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            " UNION ALL "
            "SELECT 'FUNCTION', p.oid::regprocedure::text, " +
            grantsJson("p.proacl", "'f'::\"char\"", "p.proowner", "ARRAY['EXECUTE']", app) +
            "::text FROM pg_catalog.pg_proc p"
            "  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'tenantshift'"
            " ORDER BY 1, 2",
        appOid_);
    for (const auto& row : rows) {
      LedgerObject object;
      object.kind = row[0].as<std::string>();
      object.object = row[1].as<std::string>();
      object.grants = parseGrants(row[2]);
      if (!object.grants.empty()) {
        facts.objects.push_back(std::move(object));
      }
    }
    return facts;
  }

  std::vector<GlobalTableFacts> readGlobalTables() {
    auto rows = tx_.exec_params(
        "SELECT c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname), " +
            grantsJson("c.relacl", "'r'::\"char\"", "c.relowner",
                       "ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']", "$3::oid") +
            "::text FROM pg_catalog.pg_class c"
            "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            "   AND c.oid NOT IN (SELECT json_array_elements_text($2::json)::oid)"
            " ORDER BY c.relname",
        schema_, scopeOids_, appOid_);
    std::vector<GlobalTableFacts> out;
    for (const auto& row : rows) {
      GlobalTableFacts table;
      table.name = row[0].as<std::string>();
      table.qualified = row[1].as<std::string>();
      table.grants = parseGrants(row[2]);
      if (!table.grants.empty()) {
        out.push_back(std::move(table));
      }
    }
    return out;
  }

  LargeObjectFacts readLargeObjects() {
    LargeObjectFacts facts;
    auto creating = tx_.exec_params(
        "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p"
        " WHERE p.pronamespace = 'pg_catalog'::regnamespace"
        "   AND p.proname IN ('lo_create', 'lo_creat', 'lo_from_bytea', 'lo_import') AND " +
            ifAppRole("$1::oid", "pg_catalog.has_function_privilege($1::oid, p.oid, 'EXECUTE')") +
            " ORDER BY 1",
        appOid_);
    for (const auto& row : creating) {
      facts.creating.push_back(row[0].as<std::string>());
    }
    auto counts = tx_.exec_params1(
        "SELECT count(*), count(*) FILTER (WHERE " +
            ifAppRole("$1::oid",
                      "current_setting('lo_compat_privileges')::boolean"
                      " OR pg_catalog.pg_has_role($1::oid, m.lomowner, 'USAGE')"
                      " OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(m.lomacl) g"
                      " WHERE g.privilege_type = 'SELECT' AND (g.grantee = 0"
                      " OR pg_catalog.pg_has_role($1::oid, g.grantee, 'USAGE')))") +
            ") FROM pg_catalog.pg_largeobject_metadata m",
        appOid_);
    facts.objects = counts[0].as<std::int64_t>();
    facts.readable = counts[1].as<std::int64_t>();
    return facts;
  }

  pqxx::transaction_base& tx_;
  std::string schema_;
  std::string appOid_;
  std::map<std::string, std::string> labels_;  // oid -> label
  std::string scopeOids_;
};

}  // namespace

ExposureFacts readExposures(pqxx::transaction_base& tx, const std::string& schema,
                            const std::vector<RelationFacts>& relations,
                            const std::string& appOid) {
  return ExposureReader(tx, schema, relations, appOid).read();
}

}  // namespace tenantshift::verify
