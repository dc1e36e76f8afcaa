#include "verify/grants.h"

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

std::string granteeSql(const Grant& grant) {
  return grant.grantee.empty() ? std::string("PUBLIC") : quoteIdent(grant.grantee);
}

}  // namespace

std::string describeGrants(const std::vector<Grant>& grants) {
  std::vector<std::string> items;
  items.reserve(grants.size());
  for (const Grant& grant : grants) {
    items.push_back(joined(grant.privileges) + " (" +
                    (grant.owner ? "as owner " + quoteIdent(grant.grantee)
                                 : "granted to " + granteeSql(grant)) +
                    ")");
  }
  return joined(items, "; ");
}

std::vector<std::string> revokeStatements(const std::string& kind, const std::string& object,
                                          const std::vector<Grant>& grants) {
  std::vector<std::string> out;
  for (const Grant& grant : grants) {
    if (grant.owner) {
      out.push_back("ALTER " + kind + " " + object +
                    " OWNER TO <a role the application does not use>");
    } else {
      out.push_back("REVOKE " + joined(grant.privileges) + " ON " + kind + " " + object + " FROM " +
                    granteeSql(grant));
    }
  }
  return out;
}

}  // namespace tenantshift::verify
