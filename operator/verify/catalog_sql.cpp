#include "verify/catalog_sql.h"

namespace tenantshift::verify {

std::string attributeNamesJson(const std::string& attnums, const std::string& relid) {
  return "(SELECT COALESCE(json_agg(COALESCE(a.attname::text, '') ORDER BY k.ord), '[]'::json)"
         "   FROM unnest(" +
         attnums +
         ") WITH ORDINALITY AS k(attnum, ord)"
         "   LEFT JOIN pg_catalog.pg_attribute a"
         "     ON a.attrelid = " +
         relid + " AND a.attnum = k.attnum AND k.attnum <> 0)";
}

std::string grantsJson(const std::string& acl, const std::string& kind, const std::string& owner,
                       const std::string& privileges, const std::string& appOid) {
  return "(SELECT COALESCE(json_agg(json_build_object("
         "   'grantee', CASE WHEN g.grantee = 0 THEN '' "
         "                   ELSE pg_catalog.pg_get_userbyid(g.grantee)::text END,"
         "   'owner', g.grantee = " +
         owner +
         ", 'privilege', g.privilege_type) ORDER BY g.grantee, g.privilege_type), "
         "'[]'::json)"
         "   FROM pg_catalog.aclexplode(COALESCE(" +
         acl + ", pg_catalog.acldefault(" + kind + ", " + owner +
         "))) g"
         "  WHERE g.privilege_type = ANY (" +
         privileges + ") AND " + appOid + " <> 0 AND (g.grantee = 0 OR " +
         ifAppRole(appOid, "pg_catalog.pg_has_role(" + appOid + ", g.grantee, 'USAGE')") + "))";
}

std::string ifAppRole(const std::string& appOid, const std::string& expression) {
  return "(CASE WHEN " + appOid + " = 0 THEN false ELSE " + expression + " END)";
}

}  // namespace tenantshift::verify
