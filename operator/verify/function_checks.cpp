#include "verify/function_checks.h"

#include <algorithm>

#include "plan/sql_identifier.h"
#include "verify/spec_lines.h"

namespace tenantshift::verify {

using plan::quoteIdent;

namespace {

std::string withoutSpaces(std::string text) {
  text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return c == ' '; }),
             text.end());
  return text;
}

}  // namespace

std::string FunctionFacts::signature() const {
  return name + "(" + argumentTypes + ")";
}

bool functionMatches(const std::string& entry, const FunctionFacts& function,
                     const std::string& specSchema) {
  const std::string wanted = withoutSpaces(entry);
  std::vector<std::string> names = {function.schema + "." + function.name};
  if (function.schema == specSchema) {
    names.push_back(function.name);
  }
  for (const std::string& name : names) {
    if (wanted == name || wanted == withoutSpaces(name + "(" + function.argumentTypes + ")") ||
        wanted == withoutSpaces(name + "(" + function.identityArguments + ")")) {
      return true;
    }
  }
  return false;
}

std::vector<CheckResult> checkFunctions(const api::MigrationSpec& spec,
                                        const std::vector<FunctionFacts>& functions,
                                        const RoleMap& roles,
                                        const std::vector<RelationFacts>& relations) {
  const std::string schema = spec.database.schema;
  std::vector<CheckResult> out;
  std::size_t filtered = 0;
  for (const FunctionFacts& function : functions) {
    if (!function.appCanExecute || function.returnsTrigger) {
      continue;
    }
    const std::string reason = bypassReasonAny(roles, function.owner, relations, schema);
    if (reason.empty()) {
      ++filtered;
      continue;
    }
    const std::string name =
        (function.schema == schema ? "" : function.schema + ".") + function.signature();
    const std::string qualified =
        plan::qualified(function.schema, function.name) + "(" + function.argumentTypes + ")";
    const std::string what = "SECURITY DEFINER function " + name + " runs as its owner " +
                             quoteIdent(function.owner) + ", " + reason +
                             ", and the app role can execute it: whatever tenant rows it reads or "
                             "writes are not filtered by the policies";
    const bool lookup = !spec.tenant.lookupFunction.empty() &&
                        (spec.tenant.lookupFunction == function.name ||
                         spec.tenant.lookupFunction == function.schema + "." + function.name) &&
                        (function.schema == schema ||
                         spec.tenant.lookupFunction == function.schema + "." + function.name);
    if (lookup) {
      out.push_back(exposureResult("exposure.function", name, CheckOutcome::Accepted,
                                   what + " (it resolves a tenant at login, before one is set)",
                                   "by design (spec.tenant.lookupFunction)"));
      continue;
    }
    const bool accepted = std::any_of(
        spec.accept.functions.begin(), spec.accept.functions.end(),
        [&](const std::string& entry) { return functionMatches(entry, function, schema); });
    if (accepted) {
      out.push_back(exposureResult("exposure.function", name, CheckOutcome::Accepted, what,
                                   "spec.accept.functions"));
      continue;
    }
    out.push_back(exposureResult(
        "exposure.function", name, CheckOutcome::Failed,
        what + ": ALTER FUNCTION " + qualified +
            " SECURITY INVOKER, or REVOKE EXECUTE ON FUNCTION " + qualified + " FROM PUBLIC, " +
            quoteIdent(spec.database.appRole) +
            " (functions are executable by PUBLIC by default), or give it an owner that does "
            "not bypass row-level security; if it is reviewed and safe, " +
            acceptLine("functions", name)));
  }
  if (out.empty()) {
    out.push_back(result("exposure.function", "", CheckOutcome::Passed,
                         filtered == 0
                             ? "the app role can execute no SECURITY DEFINER function"
                             : "the " + std::to_string(filtered) +
                                   " SECURITY DEFINER function(s) the app role can execute run "
                                   "as owners that do not bypass row-level security"));
  }
  return out;
}

}  // namespace tenantshift::verify
